import { summarize } from '../core/findings-report.js';
import { scan } from '../core/scan.js';
import { inactiveReplyText } from '../views/digest.js';
import type { Subcommand } from './types.js';

/**
 * `/aws-user inactive [account]`: the router has acked; the scan (one account or all) may take a while,
 * so say so at once and answer with the findings when they are ready. Approvers and admins only: the
 * answer names users and their emails.
 */
export const inactive: Subcommand = {
  name: 'inactive',
  usage: 'inactive [account]',
  summary: 'inactive console users and access keys, in one account or all (approvers and admins)',
  check: (args) => (args.length > 1 ? 'takes at most one account id or name' : undefined),
  handler: (deps) => async (c) => {
    if (!(await deps.roles.isApprover(c.command.user_id))) {
      await c.reply('Only approvers and admins can run the inactive-user review.');
      return;
    }
    const accounts = c.args[0] ? [c.args[0]] : undefined;
    const n = accounts ? 1 : deps.config.accounts.length;
    await c.reply(`:hourglass_flowing_sand: Scanning ${n} account(s) for inactive users…`);
    const result = await scan(deps.core, { accounts });
    await c.reply(inactiveReplyText(result, summarize(result.findings)));
  },
};
