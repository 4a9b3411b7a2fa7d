import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import type { Actor } from './context.js';

/**
 * Audit events: who did what to which IAM user, and how it ended. An event never carries a secret;
 * `assertNoSecrets` enforces that at the one place events are written, so a careless caller fails loudly
 * in tests instead of leaking into the trail.
 */
export type AuditOutcome =
  | 'success'
  | 'failure'
  | 'noop'
  | 'dry-run'
  | 'requested'
  | 'approved'
  | 'denied'
  | 'expired';

export interface AuditEvent {
  id: string;
  ts: string;
  actor: string;
  action: string;
  account: string;
  target: string;
  outcome: AuditOutcome;
  requestId: string;
  /** Free-form, non-secret context (e.g. the previous configuration of an offboarded user). */
  details?: Record<string, unknown>;
  error?: string;
}

export type AuditInput = Omit<AuditEvent, 'id' | 'ts'> & { ts?: string };

export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  recent?(opts: { target?: string; limit: number }): Promise<AuditEvent[]>;
}

const SECRET_KEYS =
  /^(password|secret(access)?key|secret_access_key|seed|base32stringseed|qrcodepng|qr|qrpng|otpauth(uri)?|sessiontoken|token)$/i;

/** Throws if any key that names a secret is present, at any depth. */
export function assertNoSecrets(value: unknown, path = 'details'): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEYS.test(k)) throw new Error(`audit: refusing to record secret-bearing field ${path}.${k}`);
    assertNoSecrets(v, `${path}.${k}`);
  }
}

/**
 * Secret-shaped text inside free text (an error's message): an otpauth URI, AWS's validation echo
 * (`Value '…' at 'password'`), and a 40-character secret-access-key shape. Our own errors never put a
 * secret in a message; this guards the text that comes from elsewhere (AWS, the SDK) before it is kept.
 */
const SECRET_TEXT: readonly [RegExp, string][] = [
  [/otpauth:\/\/\S+/gi, 'otpauth://[redacted]'],
  [/Value '[^']*' at '([\w.]*(?:password|secret\w*|seed|token)[\w.]*)'/gi, "Value '[redacted]' at '$1'"],
  [
    /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    '[redacted]',
  ],
];

export function scrubSecretText(text: string): string {
  return SECRET_TEXT.reduce((t, [re, by]) => t.replace(re, by), text);
}

export class Auditor {
  /** Audit lines are written at info whatever LOG_LEVEL says (only `silent` silences them): they are evidence. */
  private readonly log: Logger;

  constructor(
    private readonly sink: AuditSink,
    private readonly clock: Clock,
    logger: Logger,
  ) {
    this.log =
      logger.isLevelEnabled('info') || logger.level === 'silent'
        ? logger
        : logger.child({}, { level: 'info' });
  }

  /**
   * The one place events are recorded: one log line (`"audit": true` and the event's fields) for any log
   * shipper, then the store. The line comes first so it exists even when the store does not answer. A
   * failed append does not fail the operation, which has already happened in AWS (failing it would hide a
   * created user and its one-time secret); it is logged at error with the event's id instead.
   */
  async record(input: AuditInput): Promise<AuditEvent> {
    assertNoSecrets(input.details);
    const event: AuditEvent = {
      id: randomUUID(),
      ...input,
      ts: input.ts ?? this.clock.now().toISOString(),
      ...(input.error !== undefined ? { error: scrubSecretText(input.error) } : {}),
    };
    this.log.info({ audit: true, ...event }, `audit: ${event.action} ${event.outcome}`);
    try {
      await this.sink.append(event);
    } catch (err) {
      this.log.error(
        { auditStoreFailed: true, eventId: event.id, action: event.action, err: errorMessage(err) },
        'audit: the store did not keep this event; its audit log line is the only record',
      );
    }
    return event;
  }

  recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]> {
    return this.sink.recent ? this.sink.recent(opts) : Promise.resolve([]);
  }
}

export class MemoryAuditSink implements AuditSink {
  events: AuditEvent[] = [];
  async append(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
  async recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]> {
    return this.events
      .filter((e) => !opts.target || e.target === opts.target)
      .slice(-opts.limit)
      .reverse();
  }
  /** The cursor is the index of the next event to read, in append order. */
  async scan(opts: { since: Date; until?: Date; limit: number; cursor?: string }): Promise<{
    events: AuditEvent[];
    cursor?: string;
  }> {
    const out: AuditEvent[] = [];
    let i = opts.cursor ? Number(opts.cursor) : 0;
    for (; i < this.events.length && out.length < opts.limit; i++) {
      const e = this.events[i] as AuditEvent;
      const t = Date.parse(e.ts);
      if (t >= opts.since.getTime() && (!opts.until || t < opts.until.getTime())) out.push(e);
    }
    return i < this.events.length ? { events: out, cursor: String(i) } : { events: out };
  }
  async prune(before: Date): Promise<number> {
    const kept = this.events.filter((e) => Date.parse(e.ts) >= before.getTime());
    const gone = this.events.length - kept.length;
    this.events = kept;
    return gone;
  }
}

/** JSON Lines on disk, for the CLI (`--audit-log`). */
export class JsonlAuditSink implements AuditSink {
  constructor(private readonly path: string) {}
  async append(event: AuditEvent): Promise<void> {
    await appendFile(this.path, `${JSON.stringify(event)}\n`, 'utf8');
  }
}

/** What one operation acts on: every event it records shares these and who asked. */
export interface AuditScope {
  action: string;
  account: string;
  target: string;
}

/** How an audited operation ended: its result, and what its event should say (`success` by default). */
export interface Audited<T> {
  result: T;
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface AuditTrail {
  /**
   * Records a failure whose event needs more than the error's message (what was done, what was rolled
   * back); the error thrown after it (or one caused by it) is then not recorded a second time.
   */
  fail(err: unknown, extra?: { error?: string; details?: Record<string, unknown> }): Promise<void>;
}

/**
 * Runs one operation and records exactly one event for it: the outcome and details it returns, or a
 * `failure` with the error's message when it throws (then rethrows). Every core mutation goes through
 * here, so no path can act without leaving a trace.
 */
export async function audited<T>(
  ctx: { auditor: Auditor },
  who: Actor,
  scope: AuditScope,
  fn: (trail: AuditTrail) => Promise<Audited<T>>,
): Promise<T> {
  // The field order of the events written before this helper, which JSON Lines readers may rely on.
  const base = { actor: who.actor, ...scope, requestId: who.requestId };
  const recorded = new WeakSet<object>();
  const trail: AuditTrail = {
    async fail(err, extra = {}) {
      await ctx.auditor.record({ ...base, outcome: 'failure', error: errorMessage(err), ...extra });
      if (typeof err === 'object' && err !== null) recorded.add(err);
    },
  };
  // An error that wraps a recorded one (a ValidationError around the SDK's) was recorded with it.
  const wasRecorded = (err: unknown): boolean =>
    typeof err === 'object' && err !== null && (recorded.has(err) || wasRecorded((err as Error).cause));
  let out: Audited<T>;
  try {
    out = await fn(trail);
  } catch (err) {
    if (!wasRecorded(err)) await trail.fail(err);
    throw err;
  }
  await ctx.auditor.record({
    ...base,
    outcome: out.outcome ?? 'success',
    ...(out.details ? { details: out.details } : {}),
  });
  return out.result;
}
