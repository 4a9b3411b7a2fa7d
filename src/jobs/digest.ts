import { runDigest } from '../flows/digest.js';
import type { Job } from './host.js';

/**
 * The scheduled SOC 2 digest (flows/digest.ts), once per tick across replicas. A month's digest missed
 * during a deploy or an outage is posted at the next start: an auditor expects one per period.
 */
export const inactiveDigest: Job = {
  name: 'inactive-digest',
  schedule: (c) => c.jobs.digest_schedule,
  catchUp: true,
  async run(deps) {
    await runDigest(deps);
  },
};
