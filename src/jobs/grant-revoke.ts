import { revokeDue } from '../flows/grants.js';
import type { Job } from './host.js';

/** Every minute by default: revokes each expired grant exactly once, across replicas and restarts. */
export const grantRevoke: Job = {
  name: 'grant-revoke',
  schedule: (c) => c.jobs.grant_revoke_schedule,
  // Each due grant is claimed on its own (claimDue), so overlapping runs still revoke it once; a replica
  // killed mid-run then delays the next revokes by 15 s, not by the default two-minute lease.
  leaseMs: 15_000,
  async run(deps) {
    const r = await revokeDue(deps);
    if (r.revoked || r.failed) deps.logger.info(r, 'grant-revoke');
  },
};
