import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../core/clock.js';
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

/** Single-process JobRunStore (unit tests); each method runs without interleaving. */
export class MemoryJobRunStore implements JobRunStore {
  private readonly rows = new Map<string, JobRow>();

  constructor(private readonly clock: Clock = systemClock) {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  async register(job: string, schedule: string, nextDue: Date): Promise<{ state: JobState; reset: boolean }> {
    const { row, reset } = applyRegistration(this.rows.get(job), schedule, nextDue.getTime());
    this.rows.set(job, row);
    return { state: jobStateOf(job, row, runningBy(row, this.nowMs())), reset };
  }

  async claim(job: string, tick: Date, opts: ClaimOptions): Promise<TickClaim> {
    const row = this.rows.get(job) ?? {};
    const now = this.nowMs();
    const decision = decideClaim(row, tick.getTime(), now, opts.retake ?? false);
    if (decision !== 'take') return decision;
    const token = randomUUID();
    this.rows.set(job, applyClaim(row, tick.getTime(), opts, now, token));
    return { claimed: true, token };
  }

  async renew(job: string, token: string, leaseMs: number): Promise<boolean> {
    const renewed = applyRenewal(this.rows.get(job), token, leaseMs, this.nowMs());
    if (renewed) this.rows.set(job, renewed);
    return renewed !== undefined;
  }

  async complete(job: string, tick: Date, token: string, result: RunResult): Promise<void> {
    this.rows.set(job, applyCompletion(this.rows.get(job) ?? {}, tick.getTime(), token, result));
  }

  async list(): Promise<JobState[]> {
    const now = this.nowMs();
    return [...this.rows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([job, row]) => jobStateOf(job, row, runningBy(row, now)));
  }
}
