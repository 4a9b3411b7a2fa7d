import type { Statement } from 'better-sqlite3';
import type { Clock } from '../core/clock.js';
import type { Grant, GrantMessage } from '../core/grants.js';
import { ConflictError } from '../errors.js';
import {
  type GrantStore,
  matches,
  NOTIFY_BEFORE_MS,
  REVOKED_RETENTION_SECONDS,
  withMessages,
} from './grant-store.js';

/** What SqliteStore lends its grant store: the same file, the same transaction discipline. */
export interface SqliteAccess {
  /** One IMMEDIATE transaction; SQLite failures come out as StoreUnavailableError. */
  run<T>(fn: () => T): T;
  read<T>(fn: () => T): T;
  sql(text: string): Statement;
}

type Row = { body: string };

/**
 * Grants in the `grants` table: `due_ms` is the due index (set while active, NULL once claimed) and
 * `notify_ms` the notice index, as the sorted sets are in Redis. Each claim is one IMMEDIATE transaction,
 * so every grant goes to exactly one caller however many connections ask.
 */
export class SqliteGrantStore implements GrantStore {
  constructor(
    private readonly db: SqliteAccess,
    private readonly clock: Clock,
  ) {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private load(id: string): Grant | undefined {
    const row = this.db
      .sql('SELECT body FROM grants WHERE id = ? AND (retain_until_ms IS NULL OR retain_until_ms > ?)')
      .get(id, this.nowMs()) as Row | undefined;
    return row ? (JSON.parse(row.body) as Grant) : undefined;
  }

  async upsert(grant: Grant): Promise<Grant> {
    return this.db.run(() => {
      const old = this.load(grant.id);
      if (old?.status === 'revoking')
        throw new ConflictError('that grant is being revoked right now; request it again in a moment');
      let merged: Grant = { ...grant, status: 'active', approvers: [...grant.approvers] };
      if (old?.status === 'active') {
        merged = {
          ...merged,
          expiresAt:
            Date.parse(old.expiresAt) > Date.parse(grant.expiresAt) ? old.expiresAt : grant.expiresAt,
          createdAt: old.createdAt,
          approvers: [...new Set([...old.approvers, ...grant.approvers])],
          breakGlass: old.breakGlass || grant.breakGlass,
        };
        if (old.messages) merged = withMessages({ ...merged, messages: old.messages }, grant.messages ?? []);
      }
      const exp = Date.parse(merged.expiresAt);
      this.db
        .sql(
          `INSERT OR REPLACE INTO grants (id, status, due_ms, notify_ms, retain_until_ms, body)
           VALUES (?, 'active', ?, ?, NULL, ?)`,
        )
        .run(grant.id, exp, exp - NOTIFY_BEFORE_MS, JSON.stringify(merged));
      return merged;
    });
  }

  async get(id: string): Promise<Grant | undefined> {
    return this.db.read(() => this.load(id));
  }

  async listActive(filter?: {
    account?: string;
    username?: string;
    ownerSlackId?: string;
  }): Promise<Grant[]> {
    const rows = this.db.read(
      () =>
        this.db
          .sql(`SELECT body FROM grants WHERE status = 'active' AND due_ms IS NOT NULL ORDER BY due_ms`)
          .all() as Row[],
    );
    return rows.map((r) => JSON.parse(r.body) as Grant).filter((g) => matches(g, filter));
  }

  /** Inside a transaction: active → revoking, off both indexes; undefined when it was not due-indexed. */
  private claim(id: string): Grant | undefined {
    const row = this.db.sql('SELECT body FROM grants WHERE id = ? AND due_ms IS NOT NULL').get(id) as
      | Row
      | undefined;
    if (!row) return undefined;
    const g: Grant = { ...(JSON.parse(row.body) as Grant), status: 'revoking' };
    this.db
      .sql(`UPDATE grants SET status = 'revoking', due_ms = NULL, notify_ms = NULL, body = ? WHERE id = ?`)
      .run(JSON.stringify(g), id);
    return g;
  }

  async claimDue(now: Date, limit: number): Promise<Grant[]> {
    return this.db.run(() => {
      const ids = this.db
        .sql('SELECT id FROM grants WHERE due_ms IS NOT NULL AND due_ms <= ? ORDER BY due_ms LIMIT ?')
        .all(now.getTime(), limit) as { id: string }[];
      return ids.map(({ id }) => this.claim(id)).filter((g): g is Grant => g !== undefined);
    });
  }

  async claimNow(id: string): Promise<Grant | undefined> {
    return this.db.run(() => this.claim(id));
  }

  async claimNotices(now: Date, limit: number): Promise<Grant[]> {
    return this.db.run(() => {
      const rows = this.db
        .sql(
          'SELECT id, body FROM grants WHERE notify_ms IS NOT NULL AND notify_ms <= ? ORDER BY notify_ms LIMIT ?',
        )
        .all(now.getTime(), limit) as (Row & { id: string })[];
      const clear = this.db.sql('UPDATE grants SET notify_ms = NULL WHERE id = ?');
      for (const r of rows) clear.run(r.id);
      return rows.map((r) => JSON.parse(r.body) as Grant);
    });
  }

  async complete(grant: Grant, revokedBy: string, at: Date): Promise<void> {
    const done: Grant = { ...grant, status: 'revoked', revokedBy, revokedAt: at.toISOString() };
    const now = this.nowMs();
    this.db.run(() => {
      // Kept for the history views as long as Redis keeps it; this is also when older ones go.
      this.db.sql('DELETE FROM grants WHERE retain_until_ms <= ?').run(now);
      this.db
        .sql(
          `INSERT OR REPLACE INTO grants (id, status, due_ms, notify_ms, retain_until_ms, body)
           VALUES (?, 'revoked', NULL, NULL, ?, ?)`,
        )
        .run(grant.id, now + REVOKED_RETENTION_SECONDS * 1000, JSON.stringify(done));
    });
  }

  async release(grant: Grant, retryAt: Date): Promise<void> {
    const back: Grant = { ...grant, status: 'active' };
    this.db.run(() =>
      this.db
        .sql(
          `INSERT INTO grants (id, status, due_ms, notify_ms, retain_until_ms, body)
           VALUES (?, 'active', ?, NULL, NULL, ?)
           ON CONFLICT (id) DO UPDATE SET status = 'active', due_ms = excluded.due_ms,
             retain_until_ms = NULL, body = excluded.body`,
        )
        .run(grant.id, retryAt.getTime(), JSON.stringify(back)),
    );
  }

  async recordMessages(id: string, messages: GrantMessage[]): Promise<void> {
    this.db.run(() => {
      const row = this.db.sql('SELECT body FROM grants WHERE id = ?').get(id) as Row | undefined;
      if (!row) return;
      const g = withMessages(JSON.parse(row.body) as Grant, messages);
      this.db.sql('UPDATE grants SET body = ? WHERE id = ?').run(JSON.stringify(g), id);
    });
  }

  async takeAllowance(key: string, limit: number, windowSeconds: number): Promise<boolean> {
    const now = this.nowMs();
    return this.db.run(() => {
      const cur = this.db.sql('SELECT n, until_ms FROM allowances WHERE key = ?').get(key) as
        | { n: number; until_ms: number }
        | undefined;
      const entry = cur && cur.until_ms > now ? cur : { n: 0, until_ms: now + windowSeconds * 1000 };
      if (entry.n >= limit) return false;
      this.db
        .sql('INSERT OR REPLACE INTO allowances (key, n, until_ms) VALUES (?, ?, ?)')
        .run(key, entry.n + 1, entry.until_ms);
      return true;
    });
  }
}
