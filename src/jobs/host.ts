import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';

/**
 * A job is a file in src/jobs exporting one of these, listed once in src/jobs/index.ts. `run` takes deps so
 * tests call it directly; the host adds the schedule and the cross-replica lock.
 */
export interface Job {
  name: string;
  /** The cron expression, usually from config.jobs. */
  schedule(config: Config): string;
  run(deps: Deps): Promise<void>;
  /** How long one run may hold the lock; a crashed replica's lock frees itself after this. */
  lockMs?: number;
}

const DEFAULT_LOCK_MS = 10 * 60_000;

export type JobOutcome = 'ran' | 'locked' | 'failed' | 'stopping';

/** One guarded run: only the replica that gets the Redis lease runs it; errors are logged, never thrown. */
export async function runJob(job: Job, deps: Deps): Promise<JobOutcome> {
  // A run in progress holds up shutdown (bounded); none starts once shutdown has begun.
  const release = deps.drain.enter(`job:${job.name}`);
  if (!release) return 'stopping';
  try {
    return await runLocked(job, deps);
  } finally {
    release();
  }
}

async function runLocked(job: Job, deps: Deps): Promise<JobOutcome> {
  const log = deps.logger.child({ job: job.name });
  let token: string | undefined;
  try {
    token = await deps.store.acquireLock(`job:${job.name}`, job.lockMs ?? DEFAULT_LOCK_MS);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'job skipped: lock store unavailable');
    return 'failed';
  }
  if (!token) {
    log.debug('job skipped: another replica holds the lock');
    return 'locked';
  }
  const started = performance.now();
  try {
    await job.run(deps);
    log.info({ ms: Math.round(performance.now() - started) }, 'job finished');
    return 'ran';
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'job failed');
    return 'failed';
  } finally {
    await deps.store.releaseLock(`job:${job.name}`, token).catch(() => undefined);
  }
}

export interface JobsHandle {
  tasks: ScheduledTask[];
  stop(): Promise<void>;
}

/** Schedules every job with node-cron (noOverlap: a slow run is never doubled up within one process). */
export function startJobs(jobs: readonly Job[], deps: Deps): JobsHandle {
  const tasks = jobs.map((job) => {
    const expr = job.schedule(deps.config);
    if (!cron.validate(expr))
      throw new Error(`jobs: "${expr}" is not a valid cron expression for ${job.name}`);
    return cron.schedule(
      expr,
      async () => {
        await runJob(job, deps);
      },
      { timezone: deps.config.jobs.timezone, noOverlap: true, name: job.name },
    );
  });
  return {
    tasks,
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
