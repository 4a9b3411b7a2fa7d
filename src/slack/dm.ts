import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { lookupByEmail, openDm } from './users.js';

/**
 * The only way a secret leaves the bot: a DM to the Slack user who owns the IAM user. Returns undefined
 * when no owner can be found, so the caller can say "not delivered" without ever falling back to a channel.
 */
export async function resolveOwner(
  client: WebClient,
  owner: { slackUserId?: string | undefined; email?: string | undefined },
): Promise<string | undefined> {
  if (owner.slackUserId) return owner.slackUserId;
  if (owner.email) return lookupByEmail(client, owner.email);
  return undefined;
}

/**
 * A secret DM tries three times within about 10 s (429s wait for their Retry-After), not the WebClient's
 * default half hour: the caller is mid-execution, and on failure it takes the secret back (a reset
 * password, a deleted key), which beats a secret arriving half an hour late or being held by nobody.
 */
const SECRET_DM_RETRIES = { retries: 2, factor: 2, minTimeout: 1000, maxTimeout: 4000, randomize: false };

function secretClient(client: WebClient): WebClient {
  return new WebClient(client.token, {
    slackApiUrl: client.slackApiUrl,
    retryConfig: SECRET_DM_RETRIES,
    timeout: 10_000,
    // Its own logger would print request bodies at debug level, and this body is the secret.
    logLevel: LogLevel.ERROR,
  });
}

/** Why a DM did not go out, in words for the approvers' message (never the message body). */
export function undeliveredReason(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number };
  switch (e.code) {
    case ErrorCode.PlatformError:
      return `Slack said ${e.data?.error ?? 'error'}`;
    case ErrorCode.HTTPError:
      return `Slack answered HTTP ${e.statusCode ?? '?'}`;
    case ErrorCode.RateLimitedError:
      return 'Slack kept rate-limiting';
    case ErrorCode.RequestError:
      return 'Slack could not be reached';
    default:
      return /rate limit/i.test(String((err as Error)?.message))
        ? 'Slack kept rate-limiting'
        : 'the DM failed';
  }
}

export async function sendSecretDm(base: WebClient, ownerSlackId: string, text: string): Promise<void> {
  const client = secretClient(base);
  const channel = await openDm(client, ownerSlackId);
  // unfurls off: a sign-in URL preview adds nothing and copies the message into link metadata.
  await client.chat.postMessage({ channel, text, unfurl_links: false, unfurl_media: false });
}

/** A plain, non-secret DM (outcomes to the requester). */
export async function notify(client: WebClient, userId: string, text: string): Promise<void> {
  const channel = await openDm(client, userId);
  await client.chat.postMessage({ channel, text });
}
