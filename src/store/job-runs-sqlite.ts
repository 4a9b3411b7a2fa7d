import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { SqliteAccess } from './grant-store-sqlite.js';
import {
  applyClaim,
  applyCompletion,
  applyRegistration,
  applyRenewal,
  type ClaimOptions,
  decideClaim,
  type JobRow,
  type JobRunStore,
  type JobState,
  jobStateOf,
  type RunResult,
  runningBy,
  type TickClaim,
} from './job-runs.js';

/**
 * Job runs in the `job_runs` table, each transition one IMMEDIATE transaction (read the row, decide, write):
 * the same contract as Redis for the one instance the embedded store allows, so a restart never repeats a
 * tick that completed, and a tick missed while the bot was down is caught up once.
 */
export class SqliteJobRunStore implements JobRunStore {
  constructor(
    private readonly db: SqliteAccess,
    private readonly clock: Clock,
  ) {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private load(job: string): JobRow | undefined {
    const row = this.db.sql('SELECT body FROM job_runs WHERE name = ?').get(job) as
      | { body: string }
      | undefined;
    return row ? (JSON.parse(row.body) as JobRow) : undefined;
  }

  private save(job: string, row: JobRow): void {
    this.db.sql('INSERT OR REPLACE INTO job_runs (name, body) VALUES (?, ?)').run(job, JSON.stringify(row));
  }

  async register(job: string, schedule: string, nextDue: Date): Promise<{ state: JobState; reset: boolean }> {
    return this.db.run(() => {
      const { row, reset } = applyRegistration(this.load(job), schedule, nextDue.getTime());
      if (reset) this.save(job, row);
      return { state: jobStateOf(job, row, runningBy(row, this.nowMs())), reset };
    });
  }

  async claim(job: string, tick: Date, opts: ClaimOptions): Promise<TickClaim> {
    const now = this.nowMs();
    return this.db.run(() => {
      const row = this.load(job) ?? {};
      const decision = decideClaim(row, tick.getTime(), now, opts.retake ?? false);
      if (decision !== 'take') return decision;
      const token = randomUUID();
      this.save(job, applyClaim(row, tick.getTime(), opts, now, token));
      return { claimed: true, token } as const;
    });
  }

  async renew(job: string, token: string, leaseMs: number): Promise<boolean> {
    const now = this.nowMs();
    return this.db.run(() => {
      const renewed = applyRenewal(this.load(job), token, leaseMs, now);
      if (renewed) this.save(job, renewed);
      return renewed !== undefined;
    });
  }

  async complete(job: string, tick: Date, token: string, result: RunResult): Promise<void> {
    this.db.run(() => this.save(job, applyCompletion(this.load(job) ?? {}, tick.getTime(), token, result)));
  }

  async list(): Promise<JobState[]> {
    const now = this.nowMs();
    const rows = this.db.read(
      () =>
        this.db.sql('SELECT name, body FROM job_runs ORDER BY name').all() as {
          name: string;
          body: string;
        }[],
    );
    return rows.map((r) => {
      const row = JSON.parse(r.body) as JobRow;
      return jobStateOf(r.name, row, runningBy(row, now));
    });
  }

  /** For the instance-lock holder at start: any lease in the file belongs to a dead process. */
  dropLeases(): number {
    return this.db.run(
      () =>
        this.db
          .sql(
            `UPDATE job_runs SET body = json_remove(body, '$.lease') WHERE json_type(body, '$.lease') IS NOT NULL`,
          )
          .run().changes,
    );
  }
}
