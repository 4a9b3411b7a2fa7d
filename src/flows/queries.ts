import type { Deps } from '../deps.js';
import { escapeText } from '../views/escape.js';
import { auditList, pendingList } from '../views/messages.js';

export const AUDIT_LIMIT = 20;

const ROLE_TEXT = {
  admin: 'admin (may approve everything, including admin-only templates and offboarding)',
  approver: 'approver (may approve requests that are not admin-only)',
  requester: 'requester (may request access; cannot approve)',
} as const;

/** `/aws-user pending`: oldest first. */
export async function pendingText(deps: Deps): Promise<string> {
  const list = await deps.store.listPending();
  list.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return pendingList(list);
}

/** `/aws-user audit [user]`: the latest events, for approvers and admins only. */
export async function auditText(deps: Deps, caller: string, target: string | undefined): Promise<string> {
  if (!(await deps.roles.isApprover(caller))) return 'Only approvers and admins can read the audit trail.';
  const events = await deps.store.audit.recent({ ...(target ? { target } : {}), limit: AUDIT_LIMIT });
  return auditList(events, target);
}

/** `/aws-user whoami`: the caller's role and their IAM users across accounts. */
export async function whoamiText(deps: Deps, user: string): Promise<string> {
  const [role, users] = await Promise.all([deps.roles.role(user), deps.core.usersOwnedBy(user)]);
  const list =
    users.length === 0
      ? 'No IAM user is tagged with your Slack id (SlackUserId).'
      : users
          .map((u) => `• \`${escapeText(u.username)}\` in ${escapeText(u.accountName)} (${u.account})`)
          .join('\n');
  return `*You are* <@${user}>: ${ROLE_TEXT[role]}\n*Your IAM users*\n${list}`;
}
