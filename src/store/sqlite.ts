import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { AuditEvent } from '../core/audit.js';
import { type Clock, systemClock } from '../core/clock.js';
import { AwsUserError, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { SqliteFindingHistory } from './finding-history-sqlite.js';
import { type SqliteAccess, SqliteGrantStore } from './grant-store-sqlite.js';
import { SqliteJobRunStore } from './job-runs-sqlite.js';
import { SqliteReviewStore } from './review-store-sqlite.js';
import { checkSchema, migrate } from './sqlite-migrations.js';
import type {
  ApproveResult,
  AuditLog,
  DenyResult,
  FindingRef,
  MfaEnrollmentRecord,
  PendingRequest,
  Store,
  TemporaryUser,
} from './types.js';

/** As in Redis: request records outlive their approval window so late clickers still see the outcome. */
const RETAIN_AFTER_EXPIRY_MS = 7 * 86_400_000;
const MFA_RETENTION_MS = 7 * 86_400_000;
/** Longer than any single transition takes; a writer that waits this long is stuck, and the caller is told. */
const BUSY_TIMEOUT_MS = 2_000;
/** Prune deletes in batches so the retention job never holds the write lock for long. */
const PRUNE_BATCH = 5_000;

export interface SqliteStoreOptions {
  /** The database file; created (with its schema) when missing. */
  path: string;
  /** Lock leases, finding-ref and record retention run on it, so tests can move time past them. */
  clock?: Clock;
  logger?: Logger;
  /** Released after the database is closed (the instance lock, see instance-lock.ts). */
  onClose?: () => void;
  /**
   * A reader beside the running bot (the CLI's audit export): the file must exist and be at this release's
   * schema; nothing is migrated and every write fails.
   */
  readonly?: boolean;
}

type Row = { body: string };

/**
 * The embedded store: one SQLite file, for a single instance (REDIS_URL is the choice for replicas).
 * Every state transition is one `BEGIN IMMEDIATE` transaction, which takes the write lock before reading,
 * so racing transitions (from this process or another connection on the same file) serialise exactly as
 * the Lua scripts do in Redis. better-sqlite3 is synchronous: each method body runs to the end without
 * yielding, and the file is the only thing shared.
 *
 * WAL with synchronous=FULL: WAL lets readers (the CLI's audit export) run beside the bot's writes, and FULL
 * syncs the WAL at every commit, so an approval, a grant or an audit event that was committed survives a
 * power cut, not just a process crash (NORMAL may lose the last commits on power loss). The bot commits a
 * handful of transactions a minute, so the cost of one fsync per commit does not show.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly path: string;
  readonly grants: SqliteGrantStore;
  readonly jobs: SqliteJobRunStore;
  readonly history: SqliteFindingHistory;
  readonly reviews: SqliteReviewStore;
  private readonly clock: Clock;
  private readonly onClose?: () => void;
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    this.path = opts.path;
    this.clock = opts.clock ?? systemClock;
    this.onClose = opts.onClose;
    this.db = new Database(opts.path, {
      timeout: BUSY_TIMEOUT_MS,
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
    });
    try {
      if (opts.readonly) {
        checkSchema(this.db);
      } else {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        const applied = migrate(this.db);
        if (applied.length > 0) opts.logger?.info({ path: opts.path, applied }, 'sqlite: schema migrated');
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
    const access: SqliteAccess = {
      run: (fn) => this.run(fn),
      read: (fn) => this.read(fn),
      sql: (text) => this.sql(text),
    };
    this.grants = new SqliteGrantStore(access, this.clock);
    this.jobs = new SqliteJobRunStore(access, this.clock);
    this.history = new SqliteFindingHistory(access);
    this.reviews = new SqliteReviewStore(access);
  }

  private readonly statements = new Map<string, Database.Statement>();
  /** Prepared once per SQL text: the statements are few and fixed. */
  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  /**
   * Runs one transition in its own IMMEDIATE transaction. The store's own typed errors pass through; a
   * SQLite failure (busy past the timeout, disk full, closed) becomes StoreUnavailableError like a Redis
   * outage, so handlers answer "try again".
   */
  private run<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof AwsUserError) throw err;
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  async ping(): Promise<void> {
    this.read(() => this.sql('SELECT 1').get());
  }

  // ---- requests -------------------------------------------------------------------------------------

  private getReq(id: string): PendingRequest | undefined {
    const row = this.sql('SELECT body FROM requests WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.body) as PendingRequest) : undefined;
  }

  private saveReq(r: PendingRequest, approvingSinceMs?: number): void {
    this.sql(
      `UPDATE requests SET status = ?, body = ?, approving_since_ms = coalesce(?, approving_since_ms)
       WHERE id = ?`,
    ).run(r.status, JSON.stringify(r), approvingSinceMs ?? null, r.id);
  }

  private expireIfDue(r: PendingRequest, now: Date): boolean {
    if (r.status !== 'pending' || now.getTime() < Date.parse(r.expiresAt)) return false;
    Object.assign(r, {
      status: 'expired',
      decidedBy: 'system',
      decidedAt: now.toISOString(),
      outcome: 'expired before enough approvals',
    });
    this.saveReq(r);
    return true;
  }

  async createRequest(req: PendingRequest): Promise<void> {
    const expiresAtMs = Date.parse(req.expiresAt);
    // Relative to the clock, as Redis's TTL is: the record is kept a week past its approval window.
    const keepMs = Math.max(expiresAtMs - Date.parse(req.createdAt), 1000) + RETAIN_AFTER_EXPIRY_MS;
    this.run(() =>
      this.sql(
        `INSERT OR IGNORE INTO requests (id, status, expires_at_ms, retain_until_ms, body)
           VALUES (?, ?, ?, ?, ?)`,
      ).run(req.id, req.status, expiresAtMs, this.nowMs() + keepMs, JSON.stringify(req)),
    );
  }

  async getRequest(id: string): Promise<PendingRequest | undefined> {
    return this.read(() => this.getReq(id));
  }

  async setRequestMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    this.run(() => {
      const r = this.getReq(id);
      if (!r) return;
      r.message = { channel: message.channel, ts: message.ts };
      this.saveReq(r);
    });
  }

  async approve(id: string, approver: string, now: Date): Promise<ApproveResult> {
    return this.run((): ApproveResult => {
      const r = this.getReq(id);
      if (!r) return { result: 'missing' };
      if (r.status !== 'pending') return { result: 'closed', request: r };
      if (this.expireIfDue(r, now)) return { result: 'expired', request: r };
      if (r.approvals.some((a) => a.user === approver)) return { result: 'duplicate', request: r };
      r.approvals.push({ user: approver, at: now.toISOString() });
      if (r.approvals.length < r.approvalsNeeded) {
        this.saveReq(r);
        return { result: 'counted', request: r };
      }
      Object.assign(r, { status: 'approving', decidedBy: approver, decidedAt: now.toISOString() });
      this.saveReq(r, now.getTime());
      return { result: 'approved', request: r };
    });
  }

  async deny(id: string, by: string, now: Date, reason?: string): Promise<DenyResult> {
    return this.run((): DenyResult => {
      const r = this.getReq(id);
      if (!r) return { result: 'missing' };
      if (r.status !== 'pending') return { result: 'closed', request: r };
      if (this.expireIfDue(r, now)) return { result: 'expired', request: r };
      Object.assign(r, {
        status: 'denied',
        decidedBy: by,
        decidedAt: now.toISOString(),
        outcome: reason ? `denied: ${reason}` : 'denied',
      });
      this.saveReq(r);
      return { result: 'denied', request: r };
    });
  }

  async finish(id: string, status: 'done' | 'failed', outcome: string): Promise<boolean> {
    return this.run(() => {
      const r = this.getReq(id);
      if (r?.status !== 'approving') return false;
      Object.assign(r, { status, outcome });
      this.saveReq(r);
      return true;
    });
  }

  async expireDue(now: Date): Promise<PendingRequest[]> {
    return this.run(() => {
      const rows = this.sql(
        `SELECT body FROM requests WHERE status = 'pending' AND expires_at_ms <= ? ORDER BY expires_at_ms`,
      ).all(now.getTime()) as Row[];
      const moved: PendingRequest[] = [];
      for (const row of rows) {
        const r = JSON.parse(row.body) as PendingRequest;
        if (this.expireIfDue(r, now)) moved.push(r);
      }
      // The sweeper's tick is also when old records go: closed ones only, never one still in flight.
      this.sql(
        `DELETE FROM requests WHERE retain_until_ms <= ? AND status NOT IN ('pending', 'approving')`,
      ).run(this.nowMs());
      return moved;
    });
  }

  async listPending(): Promise<PendingRequest[]> {
    return this.read(() =>
      (
        this.sql(
          `SELECT body FROM requests WHERE status = 'pending' ORDER BY expires_at_ms, rowid`,
        ).all() as Row[]
      ).map((row) => JSON.parse(row.body) as PendingRequest),
    );
  }

  async renewApproving(id: string, now: Date): Promise<void> {
    this.run(() =>
      this.sql(`UPDATE requests SET approving_since_ms = ? WHERE id = ? AND status = 'approving'`).run(
        now.getTime(),
        id,
      ),
    );
  }

  async listApprovingSince(cutoff: Date): Promise<PendingRequest[]> {
    return this.read(() =>
      (
        this.sql(
          `SELECT body FROM requests WHERE status = 'approving' AND approving_since_ms < ?
             ORDER BY approving_since_ms`,
        ).all(cutoff.getTime()) as Row[]
      ).map((row) => JSON.parse(row.body) as PendingRequest),
    );
  }

  // ---- finding refs, MFA enrollments, temporary users, locks ------------------------------------------

  async putFindingRefs(refs: FindingRef[], ttlMs: number): Promise<void> {
    if (refs.length === 0) return;
    const now = this.nowMs();
    this.run(() => {
      this.sql('DELETE FROM finding_refs WHERE until_ms <= ?').run(now);
      const put = this.sql('INSERT OR REPLACE INTO finding_refs (id, until_ms, body) VALUES (?, ?, ?)');
      for (const r of refs) put.run(r.id, now + ttlMs, JSON.stringify(r));
    });
  }

  async getFindingRef(id: string): Promise<FindingRef | undefined> {
    const row = this.read(
      () =>
        this.sql('SELECT body FROM finding_refs WHERE id = ? AND until_ms > ?').get(id, this.nowMs()) as
          | Row
          | undefined,
    );
    return row ? (JSON.parse(row.body) as FindingRef) : undefined;
  }

  async putMfa(e: MfaEnrollmentRecord): Promise<void> {
    this.run(() =>
      this.sql(
        'INSERT OR REPLACE INTO mfa_enrollments (id, started_at_ms, retain_until_ms, body) VALUES (?, ?, ?, ?)',
      ).run(e.id, Date.parse(e.startedAt), this.nowMs() + MFA_RETENTION_MS, JSON.stringify(e)),
    );
  }

  async getMfa(id: string): Promise<MfaEnrollmentRecord | undefined> {
    const row = this.read(
      () =>
        this.sql('SELECT body FROM mfa_enrollments WHERE id = ? AND retain_until_ms > ?').get(
          id,
          this.nowMs(),
        ) as Row | undefined,
    );
    return row ? (JSON.parse(row.body) as MfaEnrollmentRecord) : undefined;
  }

  async takeMfa(id: string): Promise<MfaEnrollmentRecord | undefined> {
    const row = this.run(
      () =>
        this.sql('DELETE FROM mfa_enrollments WHERE id = ? AND retain_until_ms > ? RETURNING body').get(
          id,
          this.nowMs(),
        ) as Row | undefined,
    );
    return row ? (JSON.parse(row.body) as MfaEnrollmentRecord) : undefined;
  }

  async listMfaStartedBefore(cutoff: Date): Promise<MfaEnrollmentRecord[]> {
    return this.run(() => {
      this.sql('DELETE FROM mfa_enrollments WHERE retain_until_ms <= ?').run(this.nowMs());
      return (
        this.sql('SELECT body FROM mfa_enrollments WHERE started_at_ms < ? ORDER BY started_at_ms').all(
          cutoff.getTime(),
        ) as Row[]
      ).map((row) => JSON.parse(row.body) as MfaEnrollmentRecord);
    });
  }

  async putTemporaryUser(g: TemporaryUser): Promise<void> {
    this.run(() =>
      this.sql('INSERT OR REPLACE INTO temporary_users (id, ends_at_ms, body) VALUES (?, ?, ?)').run(
        g.id,
        Date.parse(g.endsAt),
        JSON.stringify(g),
      ),
    );
  }

  async takeDueTemporaryUsers(now: Date): Promise<TemporaryUser[]> {
    return this.run(() =>
      (
        this.sql('DELETE FROM temporary_users WHERE ends_at_ms <= ? RETURNING body, ends_at_ms').all(
          now.getTime(),
        ) as (Row & { ends_at_ms: number })[]
      )
        .sort((a, b) => a.ends_at_ms - b.ends_at_ms)
        .map((row) => JSON.parse(row.body) as TemporaryUser),
    );
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | undefined> {
    const now = this.nowMs();
    return this.run(() => {
      const held = this.sql('SELECT until_ms FROM locks WHERE name = ?').get(name) as
        | { until_ms: number }
        | undefined;
      if (held && held.until_ms > now) return undefined;
      const token = randomUUID();
      this.sql('INSERT OR REPLACE INTO locks (name, token, until_ms) VALUES (?, ?, ?)').run(
        name,
        token,
        now + ttlMs,
      );
      return token;
    });
  }

  /**
   * Drops every job lease. Only for the holder of the instance lock at start: no other process can be
   * running on this file, so any lease in it belongs to a dead one (killed mid-job), and its jobs should
   * run now rather than after the lease's TTL (up to an hour for the digest). Returns how many went.
   */
  dropStaleLeases(): number {
    return this.run(() => this.sql('DELETE FROM locks').run().changes) + this.jobs.dropLeases();
  }

  async firstSeen(key: string, ttlMs: number): Promise<boolean> {
    const now = this.nowMs();
    return this.run(() => {
      // Pruned here rather than by a job: the index makes it cheap, and the table never outgrows the window.
      this.sql('DELETE FROM seen_marks WHERE until_ms <= ?').run(now);
      return (
        this.sql('INSERT OR IGNORE INTO seen_marks (key, until_ms) VALUES (?, ?)').run(key, now + ttlMs)
          .changes === 1
      );
    });
  }

  async seen(key: string): Promise<boolean> {
    const row = this.read(() =>
      this.sql('SELECT 1 FROM seen_marks WHERE key = ? AND until_ms > ?').get(key, this.nowMs()),
    );
    return row !== undefined;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    return this.run(
      () => this.sql('DELETE FROM locks WHERE name = ? AND token = ?').run(name, token).changes === 1,
    );
  }

  // ---- audit ----------------------------------------------------------------------------------------

  readonly audit: AuditLog = {
    append: async (event: AuditEvent): Promise<void> => {
      this.run(() =>
        this.sql('INSERT INTO audit_events (ts_ms, target, body) VALUES (?, ?, ?)').run(
          Date.parse(event.ts),
          event.target,
          JSON.stringify(event),
        ),
      );
    },
    recent: async (opts: { target?: string; limit: number }): Promise<AuditEvent[]> => {
      const rows = this.read(
        () =>
          (opts.target
            ? this.sql('SELECT body FROM audit_events WHERE target = ? ORDER BY seq DESC LIMIT ?').all(
                opts.target,
                opts.limit,
              )
            : this.sql('SELECT body FROM audit_events ORDER BY seq DESC LIMIT ?').all(opts.limit)) as Row[],
      );
      return rows.map((row) => JSON.parse(row.body) as AuditEvent);
    },
    /** By the events' own time (indexed), ties in append order; the cursor is the last `ts_ms:seq` read. */
    scan: async (opts: { since: Date; until?: Date; limit: number; cursor?: string }) => {
      const [afterTs, afterSeq] = opts.cursor ? opts.cursor.split(':').map(Number) : [undefined, undefined];
      const rows = this.read(
        () =>
          this.sql(
            `SELECT seq, ts_ms, body FROM audit_events
               WHERE ts_ms >= ? AND ts_ms < ? AND (? IS NULL OR (ts_ms, seq) > (?, ?))
               ORDER BY ts_ms, seq LIMIT ?`,
          ).all(
            opts.since.getTime(),
            opts.until ? opts.until.getTime() : Number.MAX_SAFE_INTEGER,
            afterTs ?? null,
            afterTs ?? null,
            afterSeq ?? null,
            opts.limit + 1,
          ) as (Row & { seq: number; ts_ms: number })[],
      );
      const page = rows.slice(0, opts.limit);
      const events = page.map((row) => JSON.parse(row.body) as AuditEvent);
      const last = page.at(-1);
      return rows.length > opts.limit && last ? { events, cursor: `${last.ts_ms}:${last.seq}` } : { events };
    },
    prune: async (before: Date): Promise<number> => {
      let gone = 0;
      for (;;) {
        const n = this.run(
          () =>
            this.sql(
              `DELETE FROM audit_events WHERE seq IN
                   (SELECT seq FROM audit_events WHERE ts_ms < ? ORDER BY ts_ms LIMIT ?)`,
            ).run(before.getTime(), PRUNE_BATCH).changes,
        );
        gone += n;
        if (n < PRUNE_BATCH) return gone;
        // Let Slack's acks in between the batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.onClose?.();
    }
  }
}
