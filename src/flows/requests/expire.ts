import type { Deps } from '../../deps.js';
import { notify } from '../../slack/dm.js';
import { auditRequest, updateApprovalMessage } from './record.js';

/** A run that has not finished in this long lost its replica (crash, deploy); no core call takes this long. */
export const STUCK_AFTER_MS = 30 * 60_000;

export const STUCK_OUTCOME =
  'outcome unknown: the bot stopped while running this request; check the IAM user before asking again';

/**
 * Closes runs whose replica died mid-execution as failed (outcome unknown), so nothing stays "running",
 * then marks requests past their TTL expired. Each gets its audit event, its message redrawn and a DM to
 * the requester, through the same helpers a click uses.
 */
export async function expireRequests(deps: Deps): Promise<void> {
  const now = deps.clock.now();
  for (const r of await deps.store.listApprovingSince(new Date(now.getTime() - STUCK_AFTER_MS))) {
    if (!(await deps.store.finish(r.id, 'failed', STUCK_OUTCOME, now))) continue;
    deps.logger.error({ request: r.id }, 'request was left running by a stopped replica; marked failed');
    await auditRequest(deps, r, 'system', 'failure', { error: STUCK_OUTCOME });
    await updateApprovalMessage(deps, { ...r, status: 'failed', outcome: STUCK_OUTCOME });
    await notify(
      deps.client,
      r.requester,
      `Your request \`${r.id}\` (${r.target.username}): ${STUCK_OUTCOME}.`,
    ).catch(() => undefined);
  }
  for (const r of await deps.store.expireDue(deps.clock.now())) {
    await auditRequest(deps, r, 'system', 'expired');
    await updateApprovalMessage(deps, r);
    await notify(
      deps.client,
      r.requester,
      `Your request \`${r.id}\` (${r.target.username}) expired without enough approvals.`,
    ).catch(() => undefined);
  }
}
