import type { CustomRoute } from '@slack/bolt/dist/receivers/custom-routes.js';
import type { BaseDeps } from './deps.js';
import { errorMessage } from './errors.js';
import { withTimeout } from './slack/timeout.js';
import type { JobState } from './store/job-runs.js';

/** Each health probe gets this long; a hung Redis or STS must not hang the load balancer's check. */
const HEALTH_PROBE_MS = 2000;

export interface Health {
  status: number;
  body: {
    status: 'ok' | 'degraded';
    /** This process (REPLICA_ID): which replica answered. */
    replica: string;
    /** The store (Redis or the SQLite file) answers: `ok`, `down` (with the reason when verbose). */
    store: string;
    /**
     * The AWS identity answers: `ok` or `down`. Only with HEALTHZ_VERBOSE=true the account id and ARN
     * (and the reason a part is down, which can name them too): an open health port is no place for them.
     */
    aws: string | { account: string; arn: string };
    /**
     * Every scheduled job's last tick, who ran it and how it went, and who runs it now: what an operator
     * reads to see the once-per-tick lease working across replicas. Informational: never degrades status.
     */
    jobs: Record<string, Omit<JobState, 'job'>> | string;
  };
}

export async function checkHealth(deps: BaseDeps): Promise<Health> {
  const verbose = deps.config.env.healthzVerbose;
  // The reason stays in the log; the body names it only when verbose (an error can quote an ARN or host).
  const failed = (part: string, word: string) => (err: unknown) => {
    deps.logger.warn({ err: errorMessage(err), part }, 'health check: part down');
    return verbose ? `${word}: ${errorMessage(err)}` : word;
  };
  const down = (part: string) => failed(part, 'down');
  const store = withTimeout(
    deps.store.ping().then(() => 'ok', down('store')),
    HEALTH_PROBE_MS,
    'down: timeout',
  );
  const aws = withTimeout(
    deps.core
      .identity()
      .then(
        (id): Health['body']['aws'] => (verbose ? { account: id.account, arn: id.arn } : 'ok'),
        down('aws'),
      ),
    HEALTH_PROBE_MS,
    'down: timeout',
  );
  const jobs = withTimeout(
    deps.store.jobs
      .list()
      .then(
        (states) => Object.fromEntries(states.map(({ job, ...rest }) => [job, rest])),
        failed('jobs', 'unavailable'),
      ),
    HEALTH_PROBE_MS,
    'unavailable: timeout',
  );
  const [s, a, j] = await Promise.all([store, aws, jobs]);
  const ok = s === 'ok' && (a === 'ok' || typeof a === 'object');
  return {
    status: ok ? 200 : 503,
    body: { status: ok ? 'ok' : 'degraded', replica: deps.config.env.replicaId, store: s, aws: a, jobs: j },
  };
}

export function healthRoute(deps: BaseDeps): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      void checkHealth(deps).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    },
  };
}
