import { type AuditOutcome, parseWhen } from '../core/index.js';
import type { Deps } from '../deps.js';
import type { PendingRequest } from '../store/types.js';
import { escapeText } from '../views/escape.js';
import { auditList, auditWindow, pendingList } from '../views/messages.js';
import { mayDecide } from './requests/decide.js';

export const AUDIT_LIMIT = 20;
/** `/aws-user audit --since` counts at most this many events; past it the count says "at least". */
export const AUDIT_COUNT_MAX = 100_000;
const AUDIT_PAGE = 1_000;

const ROLE_TEXT = {
  admin: 'admin (may approve everything, including admin-only templates and offboarding)',
  approver: 'approver (may approve requests that are not admin-only)',
  requester: 'requester (may request access; cannot approve)',
} as const;

/**
 * What `/aws-user pending` shows `caller`: their own requests (as requester or as the owner of the access),
 * and those they may decide, by the rules approve and deny apply (flows/requests/decide.ts): admins every
 * request, approvers those that are not admin-only. A stranger sees none of who asked for what.
 */
async function mayActOn(deps: Deps, r: PendingRequest, caller: string): Promise<boolean> {
  if (r.requester === caller || r.target.slackUserId === caller) return true;
  return mayDecide(deps, r, caller);
}

/** `/aws-user pending`: oldest first, only what the caller may act on or asked for. */
export async function pendingText(deps: Deps, caller: string): Promise<string> {
  const all = await deps.store.listPending();
  const allowed = await Promise.all(all.map((r) => mayActOn(deps, r, caller)));
  const list = all.filter((_, i) => allowed[i]);
  list.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return pendingList(list);
}

/**
 * `/aws-user audit [user] [--since <when>]`: the latest events, for approvers and admins only. With
 * `--since`, the range is read page by page (scan) for its count by outcome; the list stays the latest few.
 */
export async function auditText(
  deps: Deps,
  caller: string,
  target: string | undefined,
  since?: string,
): Promise<string> {
  if (!(await deps.roles.isApprover(caller))) return 'Only approvers and admins can read the audit trail.';
  const recent = await deps.store.audit.recent({ ...(target ? { target } : {}), limit: AUDIT_LIMIT });
  if (since === undefined) return auditList(recent, target);
  const from = parseWhen('--since', since, deps.clock.now());
  const outcomes: Partial<Record<AuditOutcome, number>> = {};
  let total = 0;
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.audit.scan({
      since: from,
      limit: AUDIT_PAGE,
      ...(cursor ? { cursor } : {}),
    });
    read += page.events.length;
    for (const e of page.events) {
      if (target && e.target !== target) continue;
      total++;
      outcomes[e.outcome] = (outcomes[e.outcome] ?? 0) + 1;
    }
    cursor = page.cursor;
  } while (cursor && read < AUDIT_COUNT_MAX);
  return auditWindow({
    since: from.toISOString(),
    ...(target ? { target } : {}),
    total,
    complete: cursor === undefined,
    outcomes,
    latest: recent.filter((e) => Date.parse(e.ts) >= from.getTime()),
  });
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
