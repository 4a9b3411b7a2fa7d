import type { Deps } from '../../deps.js';
import { notify } from '../../slack/dm.js';
import { LEASE_LAPSED_MS } from './execute.js';
import { auditRequest, updateApprovalMessage } from './record.js';
import { recoverStuckRequests } from './recover.js';
import { followRevocation } from './revoke.js';

/**
 * Finishes runs whose replica died mid-execution (their lease lapsed: recover.ts checks IAM and says what
 * happened), so nothing stays "running", then marks requests past their TTL expired. Each gets its audit
 * event, its message redrawn and a DM to the requester, through the same helpers a click uses.
 */
export async function expireRequests(deps: Deps): Promise<void> {
  await recoverStuckRequests(deps, new Date(deps.clock.now().getTime() - LEASE_LAPSED_MS));
  for (const r of await deps.store.expireDue(deps.clock.now())) {
    await followRevocation(deps, r, 'expired', 'the approval request expired');
    await auditRequest(deps, r, 'system', 'expired');
    await updateApprovalMessage(deps, r);
    await notify(
      deps.client,
      r.requester,
      `Your request \`${r.id}\` (${r.target.username}) expired without enough approvals.`,
    ).catch(() => undefined);
  }
}
