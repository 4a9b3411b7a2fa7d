import { pruneAuditTrail } from '../flows/audit.js';
import type { Job } from './host.js';

/** Daily by default: deletes audit events older than audit.retention_days, and audits how many went. */
export const auditRetention: Job = {
  name: 'audit-retention',
  schedule: (c) => c.jobs.audit_retention_schedule,
  async run(deps) {
    await pruneAuditTrail(deps);
  },
};
