import { pruneFindingHistory } from '../flows/history.js';
import type { Job } from './host.js';

/**
 * Daily, on the audit trail's retention schedule: deletes finding history older than
 * inactivity.history_days. Caught up after a missed day.
 */
export const findingsRetention: Job = {
  name: 'findings-retention',
  schedule: (c) => c.jobs.audit_retention_schedule,
  catchUp: true,
  async run(deps) {
    await pruneFindingHistory(deps);
  },
};
