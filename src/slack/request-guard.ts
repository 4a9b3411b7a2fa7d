import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, type HTTPReceiver } from '@slack/bolt';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';

/** Slack's signing rule: |now − x-slack-request-timestamp| ≤ 5 minutes, in both directions. */
export const FRESHNESS_SECONDS = 5 * 60;
/**
 * How long an answered signature is remembered: a signature is only valid while its timestamp is within
 * ±5 minutes of now, so 10 minutes outlives every moment it could still pass the freshness check.
 */
export const REPLAY_TTL_MS = 2 * FRESHNESS_SECONDS * 1000;

export type Verdict = { ok: true; signature: string } | { ok: false; reason: string };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Slack's v0 request signature, checked as Slack documents it (HMAC-SHA256 of `v0:<timestamp>:<body>`),
 * in constant time, with the timestamp within ±5 minutes of the injected clock. On success `signature` is
 * the one this secret gives for this timestamp and body: canonical, so it is the replay cache's key.
 */
export function verifySignature(o: {
  secret: string;
  body: Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  now: Date;
}): Verdict {
  if (!o.timestamp || !/^\d{1,12}$/.test(o.timestamp)) {
    return { ok: false, reason: 'x-slack-request-timestamp is missing or not a number of seconds' };
  }
  const skew = Math.floor(o.now.getTime() / 1000) - Number(o.timestamp);
  if (Math.abs(skew) > FRESHNESS_SECONDS) {
    const when = skew > 0 ? 'stale' : 'in the future';
    return {
      ok: false,
      reason: `x-slack-request-timestamp is ${Math.abs(skew)} s ${when}; Slack's limit is ${FRESHNESS_SECONDS} s either way (is this host's clock right?)`,
    };
  }
  if (!o.signature) return { ok: false, reason: 'x-slack-signature is missing' };
  const hmac = createHmac('sha256', o.secret);
  hmac.update(`v0:${o.timestamp}:`);
  hmac.update(o.body);
  const expected = `v0=${hmac.digest('hex')}`;
  const given = Buffer.from(o.signature, 'utf8');
  const want = Buffer.from(expected, 'utf8');
  // The expected length is public (v0= and 64 hex digits); only equal lengths reach the constant-time compare.
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return {
      ok: false,
      reason: 'x-slack-signature does not match the body (is SLACK_SIGNING_SECRET right?)',
    };
  }
  return { ok: true, signature: expected };
}

function isSslCheck(req: IncomingMessage, body: Buffer): boolean {
  if (!header(req, 'content-type')?.startsWith('application/x-www-form-urlencoded')) return false;
  return new URLSearchParams(body.toString('utf8')).get('ssl_check') === '1';
}

function answer(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

export interface GuardDeps {
  secret: string;
  path: string;
  clock: Clock;
  store: Store;
  logger: Logger;
}

/**
 * Puts our own verification in front of Bolt's HTTPReceiver, which must be built with
 * `signatureVerification: false` (its own check looks only at the past, and at Date.now()). Requests to
 * `path` are buffered (Bolt reuses the buffered body), verified on the injected clock, and a verified one
 * whose signature was already answered by any replica (the store's replay cache) gets 200 with no body,
 * so Slack does not retry it, and runs nothing. Slack's own retries (x-slack-retry-num) are new requests
 * with a new timestamp, hence a new signature, so they pass as fresh deliveries, as in Bolt.
 */
export function guardRequests(receiver: HTTPReceiver, d: GuardDeps): void {
  const inner: RequestListener = receiver.requestListener;
  const log = d.logger.child({ component: 'request-guard' });
  const guarded = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: Buffer;
    try {
      body = (await HTTPModuleFunctions.bufferIncomingMessage(req)).rawBody;
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not read the request body');
      answer(res, 400);
      return;
    }
    // Unsigned by design; Bolt answers it 200 without dispatching anything, and so do we.
    if (isSslCheck(req, body)) {
      answer(res, 200);
      return;
    }
    const verdict = verifySignature({
      secret: d.secret,
      body,
      timestamp: header(req, 'x-slack-request-timestamp'),
      signature: header(req, 'x-slack-signature'),
      now: d.clock.now(),
    });
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason }, 'rejected a Slack request: 401');
      answer(res, 401);
      return;
    }
    let first = true;
    try {
      first = await d.store.firstSeen(`sig:${verdict.signature}`, REPLAY_TTL_MS);
    } catch (err) {
      // Every action needs the store too, and answers "try again" without it; the signature and freshness
      // checks still hold, so let the request through rather than fail Slack's 3 s ack.
      log.warn({ err: errorMessage(err) }, 'replay cache unavailable; request let through on its signature');
    }
    if (!first) {
      log.warn(
        { timestamp: header(req, 'x-slack-request-timestamp'), retryNum: header(req, 'x-slack-retry-num') },
        'replayed Slack request (a signature already answered): 200, nothing run',
      );
      answer(res, 200);
      return;
    }
    inner(req, res);
  };
  receiver.requestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method?.toUpperCase() !== 'POST' || path !== d.path) {
      inner(req, res);
      return;
    }
    guarded(req, res).catch((err: unknown) => {
      log.error({ err: errorMessage(err) }, 'request guard failed');
      if (!res.headersSent) answer(res, 500);
    });
  };
}
