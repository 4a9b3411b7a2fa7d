import { sweepKeyRotations } from '../flows/sweeps.js';
import type { Job } from './host.js';

/** Deactivates, then deletes, old keys whose rotation grace period has passed. */
export const keyRotationSweep: Job = {
  name: 'key-rotation-sweep',
  schedule: (c) => c.jobs.key_rotation_sweep_schedule,
  run: sweepKeyRotations,
};
