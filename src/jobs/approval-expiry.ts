import { expireRequests } from '../flows/requests/expire.js';
import type { Job } from './host.js';

/** Expires requests past their TTL and closes runs whose replica died (flows/requests/expire.ts). */
export const approvalExpiry: Job = {
  name: 'approval-expiry',
  schedule: (c) => c.jobs.approval_expiry_schedule,
  run: expireRequests,
};
