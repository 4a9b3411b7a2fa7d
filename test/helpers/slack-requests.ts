import { createHmac } from 'node:crypto';

/**
 * Signed requests to a Bolt HTTP receiver, exactly as Slack sends them: v0 HMAC-SHA256 over
 * `v0:${timestamp}:${rawBody}` with the signing secret, in x-slack-signature / x-slack-request-timestamp.
 */
export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

export function sign(body: string, secret: string, timestamp: number): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  secret?: string;
  /** Seconds since epoch; default now. */
  timestamp?: number;
  /** Override or drop (null) the signature header. */
  signature?: string | null;
}

export interface SlackResponse {
  status: number;
  text: string;
  json(): Record<string, unknown>;
  ms: number;
}

export async function sendSigned(
  url: string,
  body: string,
  contentType: string,
  opts: SendOptions = {},
): Promise<SlackResponse> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(ts),
  };
  const signature =
    opts.signature === undefined ? sign(body, opts.secret ?? SIGNING_SECRET, ts) : opts.signature;
  if (signature !== null) headers['x-slack-signature'] = signature;
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  const ms = performance.now() - started;
  return {
    status: res.status,
    text,
    ms,
    json: () => (text ? (JSON.parse(text) as Record<string, unknown>) : {}),
  };
}

export interface SlashCommand {
  text: string;
  user_id: string;
  user_name?: string;
  channel_id?: string;
  response_url?: string;
  trigger_id?: string;
  command?: string;
}

export function slashCommandBody(c: SlashCommand): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    team_domain: 'test',
    channel_id: c.channel_id ?? 'C0GENERAL',
    channel_name: 'general',
    user_id: c.user_id,
    user_name: c.user_name ?? c.user_id.toLowerCase(),
    command: c.command ?? '/aws-user',
    text: c.text,
    api_app_id: 'A0APP',
    is_enterprise_install: 'false',
    response_url: c.response_url ?? 'http://127.0.0.1:9/response-url-unset',
    trigger_id: c.trigger_id ?? `trig.${Math.random().toString(36).slice(2)}`,
  }).toString();
}

export function sendCommand(url: string, c: SlashCommand, opts?: SendOptions): Promise<SlackResponse> {
  return sendSigned(url, slashCommandBody(c), 'application/x-www-form-urlencoded', opts);
}

export function interactiveBody(payload: Record<string, unknown>): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export function sendInteraction(
  url: string,
  payload: Record<string, unknown>,
  opts?: SendOptions,
): Promise<SlackResponse> {
  return sendSigned(url, interactiveBody(payload), 'application/x-www-form-urlencoded', opts);
}

/** A block_actions payload for a button click. */
export function buttonClick(a: {
  user: string;
  actionId: string;
  value: string;
  blockId?: string;
  channel?: string;
  messageTs?: string;
  responseUrl?: string;
  view?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'test' },
    user: { id: a.user, username: a.user.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    trigger_id: `trig.${Math.random().toString(36).slice(2)}`,
    ...(a.view
      ? { container: { type: 'view', view_id: a.view.id }, view: a.view }
      : {
          container: {
            type: 'message',
            message_ts: a.messageTs ?? '1.1',
            channel_id: a.channel ?? 'C0APPROVALS',
          },
          channel: { id: a.channel ?? 'C0APPROVALS', name: 'approvals' },
          message: { ts: a.messageTs ?? '1.1', text: '', blocks: [] },
        }),
    response_url: a.responseUrl ?? 'http://127.0.0.1:9/response-url-unset',
    actions: [
      {
        type: 'button',
        action_id: a.actionId,
        block_id: a.blockId ?? 'actions',
        value: a.value,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/**
 * A view_submission payload. `values` is block_id → action_id → value object, as Slack sends
 * view.state.values (e.g. { username: { username: { type: 'plain_text_input', value: 'alice' } } }).
 */
export function viewSubmission(a: {
  user: string;
  callbackId: string;
  values: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  viewId?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0TEAM', domain: 'test' },
    user: { id: a.user, username: a.user.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    trigger_id: `trig.${Math.random().toString(36).slice(2)}`,
    view: {
      id: a.viewId ?? 'V0VIEW',
      type: 'modal',
      callback_id: a.callbackId,
      private_metadata: a.privateMetadata ?? '',
      hash: 'h0',
      state: { values: a.values },
      blocks: [],
    },
    response_urls: [],
  };
}
