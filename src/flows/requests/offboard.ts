import type { Actor } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../errors.js';
import type { PendingRequest } from '../../store/types.js';
import { escapeText } from '../../views/escape.js';
import { fileRequest, newRequest } from './file.js';

/**
 * `/aws-user offboard <user> [account] [reason…]`: the user is looked up and the request recorded in the
 * same account, resolved once to its id (the home account when none is named). Returns the reply.
 */
export async function fileOffboard(
  deps: Deps,
  requester: string,
  args: { username: string; account?: string; reason: string },
): Promise<string> {
  if (args.account === IDENTITY_CENTER) return fileIdentityCenterOffboard(deps, requester, args, '');
  const account = args.account ? deps.core.accounts.resolve(args.account) : deps.core.accounts.home();
  try {
    await deps.core.describeUser(account.id, args.username);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    const noIam = `No IAM user \`${escapeText(args.username)}\` in ${escapeText(account.name)} (${account.id}).`;
    // Said, never silent: the request and its approval message both name IAM Identity Center.
    if (
      deps.core.identityCenterPeople.configured() &&
      (await deps.core.identityCenterPeople.userId(args.username))
    )
      return fileIdentityCenterOffboard(deps, requester, args, `${noIam} `, true);
    return noIam;
  }
  const request = newRequest(deps, {
    kind: 'offboard',
    requester,
    target: { username: args.username },
    account: account.id,
    justification: args.reason || 'offboarding',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: true,
  });
  await fileRequest(deps, request);
  return `Offboarding request \`${request.id}\` for \`${escapeText(args.username)}\` is waiting for an admin.`;
}

/** The account word that asks for an IAM Identity Center user: `/aws-user offboard jane identity-center …`. */
export const IDENTITY_CENTER = 'identity-center';

async function fileIdentityCenterOffboard(
  deps: Deps,
  requester: string,
  args: { username: string; reason: string },
  prefix: string,
  /** The caller has just looked the user up. */
  found = false,
): Promise<string> {
  if (!deps.core.identityCenterPeople.configured())
    return 'IAM Identity Center is not configured (identity_center in the config), so there is no Identity Center user to offboard.';
  if (!found && !(await deps.core.identityCenterPeople.userId(args.username)))
    return `No IAM Identity Center user \`${escapeText(args.username)}\`.`;
  const request = newRequest(deps, {
    kind: 'offboard',
    requester,
    target: { username: args.username },
    account: deps.core.accounts.home().id,
    identityCenter: true,
    justification: args.reason || 'offboarding',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: true,
  });
  await fileRequest(deps, request);
  return `${prefix}Offboarding request \`${request.id}\` for the *IAM Identity Center* user \`${escapeText(args.username)}\` is waiting for an admin: it removes their group memberships and account assignments, and deletes the user ${deps.core.identityCenterPeople.removeAfterDays()} days later.`;
}

export async function runOffboard(deps: Deps, r: PendingRequest, who: Actor): Promise<string> {
  if (r.identityCenter) {
    const days = deps.core.identityCenterPeople.removeAfterDays();
    const o = await deps.core.identityCenterPeople.offboard(
      { userName: r.target.username, removeAfterDays: days },
      who,
    );
    const removed = `removed ${o.removedGroups.length} group membership(s) and ${o.removedAssignments.length} account assignment(s)`;
    return `offboarded IAM Identity Center user \`${o.userName}\`: ${removed}${o.deleteAfter ? `; deleted on or after ${o.deleteAfter}` : ''}`;
  }
  await deps.core.offboardUser({ account: r.account, username: r.target.username }, who);
  return `offboarded \`${r.target.username}\``;
}
