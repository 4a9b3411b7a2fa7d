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
  const account = args.account ? deps.core.accounts.resolve(args.account) : deps.core.accounts.home();
  try {
    await deps.core.describeUser(account.id, args.username);
  } catch (err) {
    if (err instanceof NotFoundError)
      return `No IAM user \`${escapeText(args.username)}\` in ${escapeText(account.name)} (${account.id}).`;
    throw err;
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

export async function runOffboard(deps: Deps, r: PendingRequest, who: Actor): Promise<string> {
  await deps.core.offboardUser({ account: r.account, username: r.target.username }, who);
  return `offboarded \`${r.target.username}\``;
}
