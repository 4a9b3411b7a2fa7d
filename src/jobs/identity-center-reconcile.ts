import { reconcileIdentityCenter } from '../flows/identity-center-reconcile.js';
import type { Job } from './host.js';

/**
 * Every 5 minutes by default: removes every assignment of an elevation_only permission set that no active
 * grant explains, even when the store has been lost (flows/identity-center-reconcile.ts). Without an
 * elevation_only set it makes no call at all. No catch-up: the next tick comes within minutes.
 */
export const identityCenterReconcile: Job = {
  name: 'identity-center-reconcile',
  schedule: (c) => c.jobs.identity_center_reconcile_schedule,
  async run(deps) {
    const r = await reconcileIdentityCenter(deps);
    if (r.removed.length || r.failed.length || r.grantsError)
      deps.logger.info(r, 'identity-center-reconcile');
    else deps.logger.debug(r, 'identity-center-reconcile');
  },
};
