import { USERNAME_RE } from '../core/index.js';
import { fileOffboard, IDENTITY_CENTER } from '../flows/requests/offboard.js';
import type { Subcommand } from './types.js';

export const offboard: Subcommand = {
  name: 'offboard',
  usage: 'offboard <user> [account | identity-center] [reason…]',
  summary: 'request removal of an IAM user (an admin must approve)',
  check: (args) => {
    if (!args[0]) return 'needs the IAM user name';
    if (!USERNAME_RE.test(args[0])) return `"${args[0]}" is not an IAM user name`;
    return undefined;
  },
  handler: (deps) => async (c) => {
    const [username = '', maybeAccount, ...rest] = c.args;
    // The second word is an account only when it names one; otherwise the reason starts there.
    const isAccount =
      maybeAccount !== undefined &&
      (maybeAccount === IDENTITY_CENTER ||
        deps.core.accounts.list().some((a) => a.id === maybeAccount || a.name === maybeAccount));
    const reason = (isAccount ? rest : [maybeAccount ?? '', ...rest]).join(' ').trim();
    await c.reply(
      await fileOffboard(deps, c.command.user_id, {
        username,
        ...(isAccount ? { account: maybeAccount } : {}),
        reason,
      }),
    );
  },
};
