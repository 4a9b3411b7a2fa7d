import { homeAccountId } from '../config.js';
import { NotFoundError } from '../errors.js';
import { audit } from '../handlers/lib/execute.js';
import { newRequest } from '../handlers/lib/new-request.js';
import { postForApproval } from '../handlers/lib/post-approval.js';
import { USERNAME_RE } from '../handlers/lib/validate.js';
import type { Subcommand } from './types.js';

export const offboard: Subcommand = {
  name: 'offboard',
  usage: 'offboard <iam-user> [account] [reason…]',
  summary: 'request removal of an IAM user (an admin must approve)',
  check: (args) => {
    if (!args[0]) return 'needs the IAM user name';
    if (!USERNAME_RE.test(args[0])) return `"${args[0]}" is not an IAM user name`;
    return undefined;
  },
  handler: (deps) => async (c) => {
    const [username = '', maybeAccount, ...rest] = c.args;
    let account: string | undefined;
    let reasonWords = rest;
    if (maybeAccount) {
      try {
        account = deps.core.clients.account(maybeAccount).id;
      } catch {
        reasonWords = [maybeAccount, ...rest];
      }
    }
    try {
      await deps.ops.describeUser(account, username);
    } catch (err) {
      if (err instanceof NotFoundError) {
        await c.reply(`No IAM user \`${username}\` in ${account ?? 'the home account'}.`);
        return;
      }
      throw err;
    }
    const request = newRequest(deps, {
      kind: 'offboard',
      requester: c.command.user_id,
      target: { username },
      account: account ?? homeAccountId(deps.config) ?? 'home',
      justification: reasonWords.join(' ') || 'offboarding',
      extraGroups: [],
      approvalsNeeded: 1,
      adminOnly: true,
    });
    await deps.store.createRequest(request);
    await audit(deps, request, c.command.user_id, 'requested');
    await postForApproval(deps, c.client, request);
    await c.reply(`Offboarding request \`${request.id}\` for \`${username}\` is waiting for an admin.`);
  },
};
