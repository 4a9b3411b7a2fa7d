import { sweepOffboarded } from '../flows/sweeps.js';
import type { Job } from './host.js';

/** Deletes offboarded users whose retention has passed. */
export const offboardSweep: Job = {
  name: 'offboard-sweep',
  schedule: (c) => c.jobs.offboard_sweep_schedule,
  run: sweepOffboarded,
};
