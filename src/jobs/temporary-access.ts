import { endTemporaryUsers } from '../flows/sweeps.js';
import type { Job } from './host.js';

/** Ends temporary users (the create modal's duration) when they run out. */
export const temporaryAccess: Job = {
  name: 'temporary-access',
  schedule: (c) => c.jobs.temporary_access_schedule,
  run: endTemporaryUsers,
};
