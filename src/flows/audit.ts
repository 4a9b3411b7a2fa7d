import { DAY_MS } from '../core/index.js';
import type { Deps } from '../deps.js';

export const AUDIT_PRUNE_ACTION = 'audit.prune';

/**
 * Retention: deletes the events older than `audit.retention_days` from the store, then records that it
 * did, with the count and the cutoff (its own event is newer than the cutoff, so a later run keeps it).
 * Every run is recorded, a run that deleted nothing too: the trail shows retention ran, not only when it bit.
 */
export async function pruneAuditTrail(deps: Deps): Promise<{ pruned: number; cutoff: string }> {
  const now = deps.clock.now();
  const retentionDays = deps.config.audit.retention_days;
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const pruned = await deps.store.audit.prune(cutoff);
  const details = { pruned, cutoff: cutoff.toISOString(), retentionDays };
  deps.logger.info(details, 'audit-retention: pruned the audit trail');
  await deps.core.audit({
    actor: 'system:audit-retention',
    action: AUDIT_PRUNE_ACTION,
    // The trail belongs to no one account (and a CSV cell starting with '-' would be defused into "'-").
    account: '',
    target: 'audit-trail',
    outcome: pruned > 0 ? 'success' : 'noop',
    requestId: `job-audit-retention-${now.toISOString()}`,
    details,
  });
  return details;
}
