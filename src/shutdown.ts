import { errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { Drain } from './slack/drain.js';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * SIGTERM's order: admit nothing new (a click that still arrives is told to try again), stop the jobs'
 * schedule and the receiver, wait up to `graceMs` for the executions and job runs already started, then
 * close the store. Returns whether everything finished; what did not is named in the log and is picked
 * up by the recovery at the next start, still `approving` in the store.
 */
export async function drainAndClose(parts: {
  drain: Drain;
  jobs: Stoppable;
  receiver: Stoppable;
  store: { close(): Promise<void> };
  logger: Logger;
  graceMs: number;
}): Promise<{ drained: boolean; left: string[] }> {
  const { drain, logger } = parts;
  drain.close();
  await parts.jobs
    .stop()
    .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'jobs stop failed'));
  await parts.receiver
    .stop()
    .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'receiver stop failed'));
  const running = drain.inFlight();
  if (running.length > 0)
    logger.info({ running, graceMs: parts.graceMs }, 'waiting for running work before exit');
  const out = await drain.settle(parts.graceMs);
  if (!out.drained)
    logger.error(
      { left: out.left, graceMs: parts.graceMs },
      'shutdown grace over with work still running; the next start recovers its requests',
    );
  await parts.store.close().catch(() => undefined);
  return out;
}
