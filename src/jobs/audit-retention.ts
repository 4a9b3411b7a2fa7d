import { pruneAuditTrail } from '../flows/audit.js';
import type { Job } from './host.js';

/**
 * Daily by default: deletes audit events older than audit.retention_days, and audits how many went. Caught
 * up after a missed day, so a bot restarted daily at that hour still prunes.
 */
export const auditRetention: Job = {
  name: 'audit-retention',
  schedule: (c) => c.jobs.audit_retention_schedule,
  catchUp: true,
  async run(deps) {
    await pruneAuditTrail(deps);
  },
};
