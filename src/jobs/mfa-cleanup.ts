import { cleanUpMfa } from '../flows/mfa.js';
import type { Job } from './host.js';

/** Abandoned MFA enrollments, and untracked devices the bot created, are deleted (flows/mfa.ts). */
export const mfaCleanup: Job = {
  name: 'mfa-cleanup',
  schedule: (c) => c.jobs.mfa_cleanup_schedule,
  run: cleanUpMfa,
};
