import {
  applyRun,
  type FindingHistory,
  type FindingRecord,
  type RecordRunInput,
  type RecordRunResult,
  type ScanRun,
  type ScanSource,
} from '../core/detect/history.js';
import type { SqliteAccess } from './grant-store-sqlite.js';

type Row = { body: string };
/** Prune deletes in batches so the retention job never holds the write lock for long. */
const PRUNE_BATCH = 5_000;

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : null);

/**
 * The finding history in the `findings` and `scan_runs` tables (migration 004). A run is recorded in one
 * IMMEDIATE transaction: its findings' new state and the run row commit together, so a reader never sees
 * a run whose resolutions are missing.
 */
export class SqliteFindingHistory implements FindingHistory {
  constructor(private readonly db: SqliteAccess) {}

  async open(accountId: string): Promise<FindingRecord[]> {
    return this.db.read(() =>
      (
        this.db.sql(`SELECT body FROM findings WHERE account = ? AND status = 'OPEN'`).all(accountId) as Row[]
      ).map((r) => JSON.parse(r.body) as FindingRecord),
    );
  }

  async record(input: RecordRunInput): Promise<RecordRunResult> {
    return this.db.run(() => {
      const get = this.db.sql('SELECT body FROM findings WHERE id = ?');
      const put = this.db.sql(
        `INSERT OR REPLACE INTO findings (id, account, status, last_seen_ms, resolved_ms, body)
           VALUES (?, ?, ?, ?, ?, ?)`,
      );
      const result = applyRun(
        input,
        (id) => {
          const row = get.get(id) as Row | undefined;
          return row ? (JSON.parse(row.body) as FindingRecord) : undefined;
        },
        (r) =>
          put.run(
            r.finding.id,
            r.finding.accountId,
            r.status,
            Date.parse(r.lastSeen),
            ms(r.resolvedAt),
            JSON.stringify(r),
          ),
      );
      this.db
        .sql('INSERT INTO scan_runs (id, at_ms, source, body, finding_ids) VALUES (?, ?, ?, ?, ?)')
        .run(
          result.run.id,
          Date.parse(result.run.at),
          result.run.source,
          JSON.stringify(result.run),
          JSON.stringify(input.findings.map((f) => f.id)),
        );
      return result;
    });
  }

  async runs(opts: { limit: number; source?: ScanSource; before?: Date }): Promise<ScanRun[]> {
    return this.db.read(() =>
      (
        this.db
          .sql(
            `SELECT body FROM scan_runs WHERE (? IS NULL OR source = ?) AND at_ms < ?
               ORDER BY at_ms DESC, rowid DESC LIMIT ?`,
          )
          .all(
            opts.source ?? null,
            opts.source ?? null,
            opts.before?.getTime() ?? Number.MAX_SAFE_INTEGER,
            opts.limit,
          ) as Row[]
      ).map((r) => JSON.parse(r.body) as ScanRun),
    );
  }

  async runFindings(runId: string): Promise<string[]> {
    const row = this.db.read(
      () =>
        this.db.sql('SELECT finding_ids FROM scan_runs WHERE id = ?').get(runId) as
          | { finding_ids: string }
          | undefined,
    );
    return row ? (JSON.parse(row.finding_ids) as string[]) : [];
  }

  async resolvedSince(since: Date, accounts?: readonly string[]): Promise<FindingRecord[]> {
    const rows = this.db.read(
      () =>
        this.db
          .sql(
            `SELECT body FROM findings WHERE status = 'RESOLVED' AND resolved_ms >= ?
               ORDER BY resolved_ms DESC, id`,
          )
          .all(since.getTime()) as Row[],
    );
    const records = rows.map((r) => JSON.parse(r.body) as FindingRecord);
    return accounts ? records.filter((r) => accounts.includes(r.finding.accountId)) : records;
  }

  async prune(before: Date): Promise<{ runs: number; findings: number }> {
    const cut = before.getTime();
    const batch = (sql: string) => {
      let gone = 0;
      for (;;) {
        const n = this.db.run(() => this.db.sql(sql).run(cut, PRUNE_BATCH).changes);
        gone += n;
        if (n < PRUNE_BATCH) return gone;
      }
    };
    const findings = batch(
      `DELETE FROM findings WHERE id IN (SELECT id FROM findings
         WHERE (CASE status WHEN 'RESOLVED' THEN resolved_ms ELSE last_seen_ms END) < ? LIMIT ?)`,
    );
    const runs = batch(
      'DELETE FROM scan_runs WHERE id IN (SELECT id FROM scan_runs WHERE at_ms < ? LIMIT ?)',
    );
    return { runs, findings };
  }
}
