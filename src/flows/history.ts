import { DAY_MS } from '../core/index.js';
import type { Deps } from '../deps.js';

/**
 * Deletes the finding history older than inactivity.history_days (default 400: a year of quarterly reviews
 * and the audit after it): runs, findings resolved before the cut, and findings no scan has seen since it.
 * Audited with how many went, as the audit trail's own pruning is.
 */
export async function pruneFindingHistory(
  deps: Deps,
): Promise<{ runs: number; findings: number; cutoff: string }> {
  const now = deps.clock.now();
  const historyDays = deps.config.inactivity.history_days;
  const cutoff = new Date(now.getTime() - historyDays * DAY_MS);
  const pruned = await deps.store.history.prune(cutoff);
  const details = { ...pruned, cutoff: cutoff.toISOString(), historyDays };
  deps.logger.info(details, 'findings-retention: pruned the finding history');
  await deps.core.audit({
    actor: 'system:findings-retention',
    action: 'findings.prune',
    account: '',
    target: 'finding-history',
    outcome: pruned.runs + pruned.findings > 0 ? 'success' : 'noop',
    requestId: `job-findings-retention-${now.toISOString()}`,
    details,
  });
  return details;
}
