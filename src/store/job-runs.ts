/**
 * Scheduled-job runs, one record per job: which cron tick was last claimed and completed, by which
 * replica, and the next tick due. A run is identified by its job and its *scheduled tick* (the cron slot,
 * from the schedule, not from "now"), so replicas whose clocks differ still agree on it:
 *
 * - A tick is claimed at most once. A claim is refused when that tick (or a later one) was already claimed
 *   or completed, or while another run of the job holds the lease. Claims are never released, only
 *   superseded by a later tick, so a replica that fires late, after the run finished, runs nothing.
 * - The lease (TTL, renewed while the run lasts) only says a run is in progress; a crashed holder's lease
 *   lapses. Only a catch-up run (`retake`) may take over a tick whose holder died before completing it.
 * - `nextDue` is the first tick after the last completed one: if it is in the past at start, a tick passed
 *   with no replica up, and a job that catches up runs it once.
 */
export interface JobRunStore {
  /**
   * At start: records the job and its schedule. New, or with a changed schedule, its `nextDue` is set to
   * `nextDue` (no catch-up for ticks of a schedule that was not in force) and `reset` is true.
   */
  register(job: string, schedule: string, nextDue: Date): Promise<{ state: JobState; reset: boolean }>;
  claim(job: string, tick: Date, opts: ClaimOptions): Promise<TickClaim>;
  /** Extends the lease while the run lasts; false when it was lost (lapsed and taken over). */
  renew(job: string, token: string, leaseMs: number): Promise<boolean>;
  /** Releases the lease (when still ours) and records the tick as completed; a tick never moves back. */
  complete(job: string, tick: Date, token: string, result: RunResult): Promise<void>;
  /** Every job's record, by name. */
  list(): Promise<JobState[]>;
}

/** Lease times run on the store's clock (Redis: its own TTLs), never on the caller's. */
export interface ClaimOptions {
  replica: string;
  leaseMs: number;
  /** A catch-up run: may take a tick that was claimed but never completed, once its lease lapsed. */
  retake?: boolean;
}

export type SkipReason =
  /** This tick (or a later one) already completed. */
  | 'done'
  /** Another run of this job holds the lease (this tick, or an earlier one still running). */
  | 'running'
  /** This tick was claimed by a run that never completed (its replica died); only a catch-up retakes it. */
  | 'claimed'
  /** A later tick was already claimed: this replica's clock is behind, or it fired very late. */
  | 'superseded';

export type TickClaim =
  | { claimed: true; token: string }
  | { claimed: false; reason: SkipReason; by?: string };

export interface RunResult {
  replica: string;
  outcome: 'ok' | 'failed';
  now: Date;
  durationMs: number;
  /** The first tick after this one, for missed-tick detection at the next start. */
  nextDue?: Date;
}

export interface JobState {
  job: string;
  schedule?: string;
  claimedTick?: string;
  claimedBy?: string;
  completedTick?: string;
  completedBy?: string;
  completedAt?: string;
  outcome?: 'ok' | 'failed';
  durationMs?: number;
  nextDue?: string;
  /** The replica holding the lease now, when a run is in progress. */
  runningBy?: string;
}

/**
 * A job's record as the embedded and memory stores keep it (Redis keeps the same fields in a hash; its Lua
 * scripts implement the same decisions). Times are epoch ms.
 */
export interface JobRow {
  schedule?: string;
  nextDueMs?: number;
  claimedTickMs?: number;
  claimedBy?: string;
  completedTickMs?: number;
  completedBy?: string;
  completedAtMs?: number;
  outcome?: 'ok' | 'failed';
  durationMs?: number;
  lease?: { token: string; by: string; untilMs: number };
}

/** The claim decision, shared by the memory and SQLite stores (job-claim-3.lua is the same in Redis). */
export function decideClaim(row: JobRow, tickMs: number, nowMs: number, retake: boolean): TickClaim | 'take' {
  if (row.completedTickMs !== undefined && row.completedTickMs >= tickMs)
    return { claimed: false, reason: 'done', by: row.completedBy };
  if (row.claimedTickMs !== undefined && row.claimedTickMs > tickMs)
    return { claimed: false, reason: 'superseded', by: row.claimedBy };
  if (row.lease && row.lease.untilMs > nowMs) return { claimed: false, reason: 'running', by: row.lease.by };
  if (row.claimedTickMs === tickMs && !retake)
    return { claimed: false, reason: 'claimed', by: row.claimedBy };
  return 'take';
}

/** A claim's new row when decideClaim said 'take': the tick is ours, with a fresh lease. */
export function applyClaim(
  row: JobRow,
  tickMs: number,
  opts: ClaimOptions,
  nowMs: number,
  token: string,
): JobRow {
  return {
    ...row,
    claimedTickMs: tickMs,
    claimedBy: opts.replica,
    lease: { token, by: opts.replica, untilMs: nowMs + opts.leaseMs },
  };
}

/** A renewal's new row, or undefined when the lease is not ours or already lapsed. */
export function applyRenewal(
  row: JobRow | undefined,
  token: string,
  leaseMs: number,
  nowMs: number,
): JobRow | undefined {
  if (!row?.lease || row.lease.token !== token || row.lease.untilMs <= nowMs) return undefined;
  return { ...row, lease: { ...row.lease, untilMs: nowMs + leaseMs } };
}

/** The replica holding a live lease on the row, if any. */
export function runningBy(row: JobRow, nowMs: number): string | undefined {
  return row.lease && row.lease.untilMs > nowMs ? row.lease.by : undefined;
}

/** Applies a completion to a row: the lease goes when it is ours; completed tick and nextDue only move on. */
export function applyCompletion(row: JobRow, tickMs: number, token: string, r: RunResult): JobRow {
  const out: JobRow = { ...row };
  if (out.lease?.token === token) out.lease = undefined;
  if (out.completedTickMs === undefined || tickMs > out.completedTickMs) {
    out.completedTickMs = tickMs;
    out.completedBy = r.replica;
    out.completedAtMs = r.now.getTime();
    out.outcome = r.outcome;
    out.durationMs = r.durationMs;
  }
  const due = r.nextDue?.getTime();
  if (due !== undefined && (out.nextDueMs === undefined || due > out.nextDueMs)) out.nextDueMs = due;
  return out;
}

/** register()'s rule on a row: a new job or a changed schedule starts from `nextDueMs`. */
export function applyRegistration(
  row: JobRow | undefined,
  schedule: string,
  nextDueMs: number,
): { row: JobRow; reset: boolean } {
  if (row && row.schedule === schedule) return { row, reset: false };
  return { row: { ...row, schedule, nextDueMs }, reset: true };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A row as JobState; `running` is the live lease holder (each store knows it its own way). */
export function jobStateOf(job: string, row: JobRow, running: string | undefined): JobState {
  const state: JobState = {
    job,
    schedule: row.schedule,
    claimedTick: iso(row.claimedTickMs),
    claimedBy: row.claimedBy,
    completedTick: iso(row.completedTickMs),
    completedBy: row.completedBy,
    completedAt: iso(row.completedAtMs),
    outcome: row.outcome,
    durationMs: row.durationMs,
    nextDue: iso(row.nextDueMs),
    runningBy: running,
  };
  return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)) as JobState;
}
