import type { JobDeps } from '../deps.js';
import type { Job } from './host.js';

/** Deletes offboarded users whose retention has passed (core/provisioning.ts decides which). */
export const offboardSweep: Job = {
  name: 'offboard-sweep',
  schedule: (c) => c.jobs.offboard_sweep_schedule,
  async run(deps: JobDeps) {
    await deps.ops.sweepOffboarded({ actor: 'system:offboard-sweep', requestId: `job-${Date.now()}` });
  },
};
