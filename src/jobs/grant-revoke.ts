import { revokeDue } from '../flows/grants.js';
import type { Job } from './host.js';

/** Every minute by default: revokes each expired grant exactly once, across replicas and restarts. */
export const grantRevoke: Job = {
  name: 'grant-revoke',
  schedule: (c) => c.jobs.grant_revoke_schedule,
  async run(deps) {
    const r = await revokeDue(deps);
    if (r.revoked || r.failed) deps.logger.info(r, 'grant-revoke');
  },
};
