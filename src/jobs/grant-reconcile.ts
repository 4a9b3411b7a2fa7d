import { reconcileFromIam } from '../flows/reconcile.js';
import type { Job } from './host.js';

/**
 * Every 5 minutes by default: reads every account's IAM tags and ends what is overdue (grants, temporary
 * users, offboarded users past their deletion date) even when the store has lost it (flows/reconcile.ts).
 */
export const grantReconcile: Job = {
  name: 'grant-reconcile',
  schedule: (c) => c.jobs.grant_reconcile_schedule,
  // Reading many accounts can take a while; the lease must outlive it so no second replica starts.
  async run(deps) {
    const r = await reconcileFromIam(deps);
    const acted = r.grants.done + r.temporaryUsers.done + r.deletions.done;
    const troubled = r.grants.failed + r.temporaryUsers.failed + r.deletions.failed + r.failedAccounts.length;
    if (acted || troubled) deps.logger.info(r, 'grant-reconcile');
    else deps.logger.debug(r, 'grant-reconcile');
  },
};
