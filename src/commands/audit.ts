import { USERNAME_RE } from '../core/index.js';
import { auditText } from '../flows/queries.js';
import type { Subcommand } from './types.js';

export const audit: Subcommand = {
  name: 'audit',
  usage: 'audit [iam-user]',
  summary: 'latest audit events, for everyone or one IAM user (approvers and admins)',
  check: (args) => {
    if (args.length > 1) return 'takes at most one IAM user name';
    if (args[0] && !USERNAME_RE.test(args[0])) return `"${args[0]}" is not an IAM user name`;
    return undefined;
  },
  handler: (deps) => async (c) => c.reply(await auditText(deps, c.command.user_id, c.args[0])),
};
