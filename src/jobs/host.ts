import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import type { SkipReason } from '../store/job-runs.js';

/**
 * A job is a file in src/jobs exporting one of these, listed once in src/jobs/index.ts. `run` takes deps so
 * tests call it directly; the host adds the schedule and the once-per-tick guarantee across replicas.
 */
export interface Job {
  name: string;
  /** The cron expression, usually from config.jobs; `off` (JOB_OFF): not scheduled at all. */
  schedule(config: Config): string;
  run(deps: Deps): Promise<void>;
  /**
   * Whether a tick that passed while no replica was up (a deploy, a crash) is run once at the next start.
   * Right for rare jobs whose tick matters (the monthly digest); wrong for frequent sweeps, whose next tick
   * comes within minutes and does the same work.
   */
  catchUp?: boolean;
  /**
   * This job's run lease (default JOB_LEASE_MS): how long a replica killed mid-run holds the job back. Shorter
   * only for a frequent job whose work is claimed item by item in the store, so that two runs overlapping
   * (a lease lost in a long stall) still do each item once.
   */
  leaseMs?: number;
}

/** A schedule that turns a job off (config's cronOrOff, or a job whose section is not configured). */
export const JOB_OFF = 'off';

/**
 * A run's lease, renewed every third of it while the run lasts: a long digest keeps it, and a replica that
 * dies mid-run frees the job within this long.
 */
export const JOB_LEASE_MS = 2 * 60_000;

export function leaseOf(job: Job): number {
  return job.leaseMs ?? JOB_LEASE_MS;
}

/** How late a tick may still fire on this replica (bounded by the next tick, see startJobs). */
const LATE_TICK_MS = 5 * 60_000;

export type JobOutcome = 'ran' | 'skipped' | 'failed' | 'stopping';

export interface JobRun {
  /** The scheduled tick this run belongs to: node-cron's slot, the same instant on every replica. */
  tick: Date;
  /** A catch-up at start: may retake a tick whose replica died before completing it. */
  catchUp?: boolean;
  /** The tick after this one, recorded so the next start can tell a missed tick. */
  nextDue?: Date;
}

/**
 * One run of `job` for one scheduled tick, on whichever replica claims the tick first; every other replica
 * (an earlier or later clock, a late timer) finds it claimed and logs that it skipped. Errors are logged,
 * never thrown.
 */
export async function runJob(job: Job, deps: Deps, run: JobRun): Promise<JobOutcome> {
  // A run in progress holds up shutdown (bounded); none starts once shutdown has begun.
  const release = deps.drain.enter(`job:${job.name}`);
  if (!release) return 'stopping';
  try {
    return await runClaimed(job, deps, run);
  } finally {
    release();
  }
}

async function runClaimed(job: Job, deps: Deps, run: JobRun): Promise<JobOutcome> {
  const replica = deps.config.env.replicaId;
  const log = deps.logger.child({
    job: job.name,
    tick: run.tick.toISOString(),
    ...(run.catchUp ? { catchUp: true } : {}),
  });
  const jobs = deps.store.jobs;
  let claim: Awaited<ReturnType<typeof jobs.claim>>;
  try {
    claim = await jobs.claim(job.name, run.tick, { replica, leaseMs: leaseOf(job), retake: run.catchUp });
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'job skipped: the store is unavailable');
    return 'failed';
  }
  if (!claim.claimed) {
    log.info({ reason: claim.reason, by: claim.by }, `job skipped: ${SKIPPED[claim.reason]}`);
    return 'skipped';
  }
  const { token } = claim;
  const renew = setInterval(() => {
    jobs.renew(job.name, token, leaseOf(job)).then(
      (held) => held || log.warn('job lease lost while running (the store lapsed it); another run may start'),
      (err: unknown) => log.warn({ err: errorMessage(err) }, 'job lease renewal failed'),
    );
  }, leaseOf(job) / 3);
  renew.unref();
  const started = performance.now();
  let outcome: 'ok' | 'failed' = 'ok';
  try {
    log.debug('job started');
    await job.run(deps);
  } catch (err) {
    outcome = 'failed';
    log.error({ err: errorMessage(err) }, 'job failed');
  } finally {
    clearInterval(renew);
  }
  const ms = Math.round(performance.now() - started);
  if (outcome === 'ok') log.info({ ms }, 'job finished');
  await jobs
    .complete(job.name, run.tick, token, {
      replica,
      outcome,
      now: deps.clock.now(),
      durationMs: ms,
      nextDue: run.nextDue,
    })
    .catch((err: unknown) =>
      // The lease lapses by itself; the tick stays claimed, so no replica runs it again.
      log.warn({ err: errorMessage(err) }, 'job completion not recorded: the store is unavailable'),
    );
  return outcome === 'ok' ? 'ran' : 'failed';
}

const SKIPPED: Record<SkipReason, string> = {
  done: 'this tick already ran',
  running: 'a run of this job is in progress',
  claimed: 'this tick was claimed by a replica that stopped before finishing it',
  superseded: 'a later tick was already claimed (this clock is behind, or this replica fired very late)',
};

export interface JobsHandle {
  tasks: ScheduledTask[];
  /** Registration and any catch-up runs at start; resolves when they are done (never rejects). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The first scheduled tick strictly after `after`, from the task's own schedule and timezone. */
function tickAfter(task: ScheduledTask, after: Date): Date | undefined {
  return task.getNextRuns(3).find((d) => d.getTime() > after.getTime());
}

/**
 * Schedules every job with node-cron (noOverlap: a slow run is never doubled up within one process), each
 * run identified by node-cron's scheduled slot. At start, each job's schedule is registered in the store;
 * a job that catches up and whose next due tick passed unrun runs that tick once.
 */
export function startJobs(jobs: readonly Job[], deps: Deps): JobsHandle {
  const active = jobs.filter((job) => {
    if (job.schedule(deps.config) !== JOB_OFF) return true;
    deps.logger.info({ job: job.name }, 'job off: its schedule is "off" or what it needs is not configured');
    return false;
  });
  const scheduled = active.map((job) => {
    const expr = job.schedule(deps.config);
    if (!cron.validate(expr))
      throw new Error(`jobs: "${expr}" is not a valid cron expression for ${job.name}`);
    const task: ScheduledTask = cron.schedule(
      expr,
      async (ctx) => {
        await runJob(job, deps, { tick: ctx.date, nextDue: tickAfter(task, ctx.date) });
      },
      {
        timezone: deps.config.jobs.timezone,
        noOverlap: true,
        name: job.name,
        // node-cron drops a slot fired more than 1 s late (a GC pause, a busy CPU) by default. The tick's claim
        // makes a late run safe, so run it unless the next slot has already come (node-cron's own bound).
        missedExecutionTolerance: LATE_TICK_MS,
      },
    );
    task.on('execution:missed', (ctx) =>
      deps.logger
        .child({ job: job.name, tick: ctx.date.toISOString() })
        .warn(
          'job tick missed: this replica fired after the next tick was due; another replica may have run it',
        ),
    );
    return { job, expr, task };
  });
  const retries = new Set<NodeJS.Timeout>();
  const ready = Promise.all(
    scheduled.map(({ job, expr, task }) => catchUp(job, expr, task, deps, retries)),
  ).then(() => undefined);
  return {
    tasks: scheduled.map((s) => s.task),
    ready,
    async stop() {
      for (const t of retries) clearTimeout(t);
      retries.clear();
      await Promise.all(scheduled.map((s) => s.task.stop()));
    },
  };
}

async function catchUp(
  job: Job,
  expr: string,
  task: ScheduledTask,
  deps: Deps,
  retries: Set<NodeJS.Timeout>,
): Promise<void> {
  const log = deps.logger.child({ job: job.name });
  const upcoming = task.getNextRun();
  if (!upcoming) return;
  try {
    const { state, reset } = await deps.store.jobs.register(job.name, expr, upcoming);
    if (reset) {
      log.info({ schedule: expr, nextDue: upcoming.toISOString() }, 'job schedule registered');
      return;
    }
    const due = state.nextDue ? Date.parse(state.nextDue) : undefined;
    const completed = state.completedTick ? Date.parse(state.completedTick) : undefined;
    const now = deps.clock.now().getTime();
    if (due === undefined || due > now) return;
    if (completed !== undefined && completed >= due) return;
    // The latest tick that never completed: normally nextDue; a later claim whose replica died wins.
    const claimed = state.claimedTick ? Date.parse(state.claimedTick) : undefined;
    const tick = new Date(claimed !== undefined && claimed > due && claimed <= now ? claimed : due);
    if (!job.catchUp) {
      log.info(
        { missed: tick.toISOString(), next: upcoming.toISOString() },
        'job missed a tick while no replica was up; not caught up, it runs at its next tick',
      );
      return;
    }
    log.warn(
      { missed: tick.toISOString() },
      'job missed a tick while no replica was up; running it once now',
    );
    const run = () => runJob(job, deps, { tick, catchUp: true, nextDue: task.getNextRun() ?? undefined });
    if ((await run()) !== 'skipped') return;
    // Another run holds the tick: a live replica finishing it, or one killed mid-run whose lease has not
    // lapsed yet (Redis; the embedded store drops a dead instance's leases at open). Ask once more when that
    // lease must have lapsed: the tick is then done, still running, or retaken here.
    log.info({ missed: tick.toISOString() }, 'job catch-up deferred until the running lease has lapsed');
    const retry = setTimeout(() => {
      retries.delete(retry);
      void run();
    }, leaseOf(job) + 5_000);
    retry.unref();
    retries.add(retry);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'job registration at start failed; no catch-up this time');
  }
}
