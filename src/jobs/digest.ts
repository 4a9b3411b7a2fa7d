import { runDigest } from '../flows/digest.js';
import type { Job } from './host.js';

/** The scheduled SOC 2 digest (flows/digest.ts), on one replica per tick. */
export const inactiveDigest: Job = {
  name: 'inactive-digest',
  schedule: (c) => c.jobs.digest_schedule,
  // A scan of many accounts can take minutes; the lease must outlive it so no second replica starts.
  lockMs: 60 * 60_000,
  async run(deps) {
    await runDigest(deps);
  },
};
