import { inactiveReview } from '../flows/reviews.js';
import type { Subcommand } from './types.js';

/** `/aws-user inactive [account]`: the inactive-user review, for approvers and admins. */
export const inactive: Subcommand = {
  name: 'inactive',
  usage: 'inactive [account]',
  summary: 'inactive console users and access keys, in one account or all (approvers and admins)',
  check: (args) => (args.length > 1 ? 'takes at most one account id or name' : undefined),
  handler: (deps) => (c) => inactiveReview(deps, c.command.user_id, c.args[0], c.reply),
};
