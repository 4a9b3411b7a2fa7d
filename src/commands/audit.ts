import { USERNAME_RE } from '../handlers/lib/validate.js';
import { auditList } from '../views/messages.js';
import type { Subcommand } from './types.js';

export const AUDIT_LIMIT = 20;

export const audit: Subcommand = {
  name: 'audit',
  usage: 'audit [iam-user]',
  summary: 'latest audit events, for everyone or one IAM user (approvers and admins)',
  check: (args) => {
    if (args.length > 1) return 'takes at most one IAM user name';
    if (args[0] && !USERNAME_RE.test(args[0])) return `"${args[0]}" is not an IAM user name`;
    return undefined;
  },
  handler: (deps) => async (c) => {
    if (!(await deps.roles.isApprover(c.command.user_id))) {
      await c.reply('Only approvers and admins can read the audit trail.');
      return;
    }
    const target = c.args[0];
    const events = await deps.store.audit.recent({ ...(target ? { target } : {}), limit: AUDIT_LIMIT });
    await c.reply(auditList(events, target));
  },
};
