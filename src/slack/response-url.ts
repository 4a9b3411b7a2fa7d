import type { Logger } from '../logger.js';

/**
 * Where a payload's `response_url` may point. Slack documents its response URLs on hooks.slack.com
 * (`https://hooks.slack.com/commands/…`, `/actions/…`, `/app/…`); a test or a Slack-compatible gateway
 * names its own host through SLACK_API_URL. Anything else came from a crafted payload (or a leaked
 * signing secret): the bot must not become a way to POST its answers to an address of the sender's choice.
 */
const SLACK_RESPONSE_HOSTS: readonly string[] = ['hooks.slack.com'];

export function isSlackResponseUrl(url: string | undefined, slackApiUrl?: string): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  if (u.protocol === 'https:' && u.port === '' && SLACK_RESPONSE_HOSTS.includes(u.hostname)) return true;
  if (!slackApiUrl) return false;
  try {
    return u.origin === new URL(slackApiUrl).origin;
  } catch {
    return false;
  }
}

/** Only the host: a response_url is a bearer capability and does not belong in a log line. */
function hostOf(url: string | undefined): string {
  try {
    return url ? new URL(url).host : '(none)';
  } catch {
    return '(unparseable)';
  }
}

/**
 * Wraps Bolt's `respond` for one payload: posts only when its response_url is Slack's; otherwise drops the
 * answer and logs a warning once (there is no trusted place to send it instead).
 */
export function guardedRespond<M>(
  respond: (message: M) => Promise<unknown>,
  responseUrl: string | undefined,
  opts: { slackApiUrl: string | undefined; logger: Logger; user: string },
): (message: M) => Promise<void> {
  const trusted = isSlackResponseUrl(responseUrl, opts.slackApiUrl);
  let warned = false;
  return async (message) => {
    if (trusted) {
      await respond(message);
      return;
    }
    if (!warned) {
      warned = true;
      opts.logger.warn(
        { user: opts.user, host: hostOf(responseUrl) },
        'response_url is not a Slack response host; reply dropped',
      );
    }
  };
}
