import type { CustomRoute } from '@slack/bolt/dist/receivers/custom-routes.js';
import type { BaseDeps } from './deps.js';
import { errorMessage } from './errors.js';
import { withTimeout } from './slack/timeout.js';

/** Each health probe gets this long; a hung Redis or STS must not hang the load balancer's check. */
const HEALTH_PROBE_MS = 2000;

export interface Health {
  status: number;
  body: { status: 'ok' | 'degraded'; redis: string; aws: string | { account: string; arn: string } };
}

export async function checkHealth(deps: BaseDeps): Promise<Health> {
  const redis = withTimeout(
    deps.store.ping().then(
      () => 'ok',
      (err: unknown) => `down: ${errorMessage(err)}`,
    ),
    HEALTH_PROBE_MS,
    'down: timeout',
  );
  const aws = withTimeout(
    deps.core.identity().then(
      (id) => id as Health['body']['aws'],
      (err: unknown) => `down: ${errorMessage(err)}`,
    ),
    HEALTH_PROBE_MS,
    'down: timeout',
  );
  const [r, a] = await Promise.all([redis, aws]);
  const ok = r === 'ok' && typeof a === 'object';
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', redis: r, aws: a } };
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
