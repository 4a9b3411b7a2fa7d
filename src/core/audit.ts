import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { Clock } from './clock.js';

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

export class Auditor {
  constructor(
    private readonly sink: AuditSink,
    private readonly clock: Clock,
  ) {}

  async record(input: AuditInput): Promise<AuditEvent> {
    assertNoSecrets(input.details);
    const event: AuditEvent = { id: randomUUID(), ...input, ts: input.ts ?? this.clock.now().toISOString() };
    await this.sink.append(event);
    return event;
  }

  recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]> {
    return this.sink.recent ? this.sink.recent(opts) : Promise.resolve([]);
  }
}

export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  async append(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
  async recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]> {
    return this.events
      .filter((e) => !opts.target || e.target === opts.target)
      .slice(-opts.limit)
      .reverse();
  }
}

/** JSON Lines on disk, for the CLI (`--audit-log`). */
export class JsonlAuditSink implements AuditSink {
  constructor(private readonly path: string) {}
  async append(event: AuditEvent): Promise<void> {
    await appendFile(this.path, `${JSON.stringify(event)}\n`, 'utf8');
  }
}

/** Fans out to several sinks (e.g. Redis stream + log). */
export class MultiAuditSink implements AuditSink {
  constructor(private readonly sinks: readonly AuditSink[]) {}
  async append(event: AuditEvent): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.append(event)));
  }
  async recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]> {
    for (const s of this.sinks) if (s.recent) return s.recent(opts);
    return [];
  }
}
