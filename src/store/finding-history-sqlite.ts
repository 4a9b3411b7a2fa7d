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
/** Findings (and resolutions) per write transaction. */
const CHUNK = 2_000;

/** applyRun over one slice of the run's findings and resolutions, in one transaction. */
function applyRunChunk(
  db: SqliteAccess,
  input: RecordRunInput,
  from: number,
  get: (id: string) => FindingRecord | undefined,
  put: (r: FindingRecord) => void,
): RecordRunResult {
  const slice: RecordRunInput = {
    run: input.run,
    findings: input.findings.slice(from, from + CHUNK),
    resolved: input.resolved.slice(from, from + CHUNK),
  };
  return db.run(() => applyRun(slice, get, put));
}

/** The finding history in the `findings` and `scan_runs` tables (migration 004). */
export class SqliteFindingHistory implements FindingHistory {
  constructor(private readonly db: SqliteAccess) {}

  async open(accountId: string): Promise<FindingRecord[]> {
    return this.db.read(() =>
      (
        this.db.sql(`SELECT body FROM findings WHERE account = ? AND status = 'OPEN'`).all(accountId) as Row[]
      ).map((r) => JSON.parse(r.body) as FindingRecord),
    );
  }

  /**
   * In chunks of CHUNK findings, one IMMEDIATE transaction each, yielding between them, then the run row in
   * its own: a 120,000-finding digest never holds the write lock (nor, better-sqlite3 being synchronous, the
   * event loop, and with it Slack's 3-second acks) for more than a few tens of milliseconds at a time. The
   * run row commits last, so a reader that sees the run sees every change it made.
   */
  async record(input: RecordRunInput): Promise<RecordRunResult> {
    const get = (id: string) => {
      const row = this.db.sql('SELECT body FROM findings WHERE id = ?').get(id) as Row | undefined;
      return row ? (JSON.parse(row.body) as FindingRecord) : undefined;
    };
    const put = (r: FindingRecord) =>
      this.db
        .sql(
          `INSERT OR REPLACE INTO findings (id, account, status, last_seen_ms, resolved_ms, body)
             VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.finding.id,
          r.finding.accountId,
          r.status,
          Date.parse(r.lastSeen),
          ms(r.resolvedAt),
          JSON.stringify(r),
        );
    const opened: string[] = [];
    const resolved: FindingRecord[] = [];
    const firstSeen = new Map<string, string>();
    const total = Math.max(input.findings.length, input.resolved.length);
    for (let i = 0; i === 0 || i < total; i += CHUNK) {
      const part = applyRunChunk(this.db, input, i, get, put);
      opened.push(...part.opened);
      resolved.push(...part.resolved);
      for (const [id, at] of part.firstSeen) firstSeen.set(id, at);
      if (i + CHUNK < total) await new Promise((resolve) => setImmediate(resolve));
    }
    const run = { ...input.run, opened: opened.length, resolved: resolved.length };
    this.db.run(() =>
      this.db
        .sql('INSERT INTO scan_runs (id, at_ms, source, body, finding_ids) VALUES (?, ?, ?, ?, ?)')
        .run(
          run.id,
          Date.parse(run.at),
          run.source,
          JSON.stringify(run),
          JSON.stringify(input.findings.map((f) => f.id)),
        ),
    );
    return { run, opened, resolved, firstSeen };
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
