import type { Deps } from '../../deps.js';
import { notify } from '../../slack/dm.js';
import type { PendingRequest } from '../../store/types.js';
import { closedText } from '../../views/request-status.js';
import { executeRequest } from './execute.js';
import { requestOwner } from './preflight.js';
import { auditRequest, updateApprovalMessage } from './record.js';
import { followRevocation } from './revoke.js';

/** Who may decide a request: admins for admin-only ones, else any approver (admins included). */
export function mayDecide(deps: Deps, r: PendingRequest, user: string): Promise<boolean> {
  return r.adminOnly ? deps.roles.isAdmin(user) : deps.roles.isApprover(user);
}

/**
 * An Approve click, by request id only: the rules (not the requester, not the owner, an approver, an
 * admin for admin-only requests) are checked against the stored request, and the store's atomic
 * transition picks the one click that runs it. Returns the clicker's private answer, if any.
 */
export async function approveRequest(deps: Deps, user: string, id: string): Promise<string | undefined> {
  const r = await deps.store.getRequest(id);
  if (!r) return `Request \`${id}\` no longer exists (it may have expired).`;
  if (r.status !== 'pending') return closedText(r);
  if (r.requester === user) return 'You cannot approve your own request; another approver must.';
  // Execution checks again, whoever approved (preflight.ts).
  if ((await requestOwner(deps, r)) === user)
    return r.kind === 'revoke'
      ? 'You cannot approve the revocation of your own access; another approver must.'
      : 'You cannot approve access for yourself; another approver must.';
  if (!(await mayDecide(deps, r, user))) {
    deps.logger.warn({ user, request: id }, 'unauthorised approval click');
    return `Only ${r.adminOnly ? 'an admin' : 'a configured approver'} can approve request \`${id}\`.`;
  }
  const res = await deps.store.approve(id, user, deps.clock.now());
  switch (res.result) {
    case 'approved':
      await executeRequest(deps, res.request);
      return undefined;
    case 'counted':
      await auditRequest(deps, res.request, user, 'approved', {
        details: { approvals: res.request.approvals.length, needed: res.request.approvalsNeeded },
      });
      await updateApprovalMessage(deps, res.request);
      return `Your approval is counted (${res.request.approvals.length}/${res.request.approvalsNeeded}); it needs another approver.`;
    case 'duplicate':
      return 'You already approved this request; it needs a different approver.';
    case 'expired':
      await followRevocation(deps, res.request, 'expired', 'the approval request expired');
      await auditRequest(deps, res.request, 'system', 'expired');
      await updateApprovalMessage(deps, res.request);
      return closedText(res.request);
    case 'closed':
      return closedText(res.request);
    case 'missing':
      return `Request \`${id}\` no longer exists.`;
  }
}

/** Deny: the people who may approve may deny; the requester may withdraw their own request. */
export async function denyRequest(deps: Deps, user: string, id: string): Promise<string | undefined> {
  const r = await deps.store.getRequest(id);
  if (!r) return `Request \`${id}\` no longer exists.`;
  if (r.status !== 'pending') return closedText(r);
  const withdrawing = r.requester === user;
  if (!withdrawing && !(await mayDecide(deps, r, user)))
    return `Only ${r.adminOnly ? 'an admin' : 'an approver'} can deny request \`${id}\`.`;
  const res = await deps.store.deny(
    id,
    user,
    deps.clock.now(),
    withdrawing ? 'withdrawn by the requester' : undefined,
  );
  if (res.result === 'missing') return `Request \`${id}\` no longer exists.`;
  if (res.result !== 'denied') return closedText(res.request);
  await followRevocation(
    deps,
    res.request,
    'denied',
    withdrawing ? `withdrawn by <@${user}>` : `denied by <@${user}>`,
  );
  await auditRequest(deps, res.request, user, 'denied');
  await updateApprovalMessage(deps, res.request);
  if (!withdrawing) {
    await notify(
      deps.client,
      r.requester,
      `Your request \`${id}\` for \`${r.target.username}\` was denied by <@${user}>.`,
    ).catch(() => undefined);
  }
  return undefined;
}
