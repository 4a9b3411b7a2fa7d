import type { JobDeps } from '../deps.js';
import type { Job } from './host.js';

/** Deactivates, then deletes, old keys whose rotation grace period has passed (core/keys.ts decides). */
export const keyRotationSweep: Job = {
  name: 'key-rotation-sweep',
  schedule: (c) => c.jobs.key_rotation_sweep_schedule,
  async run(deps: JobDeps) {
    await deps.ops.sweepKeyRotations({ actor: 'system:key-rotation-sweep', requestId: `job-${Date.now()}` });
  },
};
