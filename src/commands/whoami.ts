import { escapeText } from '../views/escape.js';
import type { Subcommand } from './types.js';

const ROLE_TEXT = {
  admin: 'admin (may approve everything, including admin-only templates and offboarding)',
  approver: 'approver (may approve requests that are not admin-only)',
  requester: 'requester (may request access; cannot approve)',
} as const;

export const whoami: Subcommand = {
  name: 'whoami',
  usage: 'whoami',
  summary: 'your IAM users across accounts, and your role in this bot',
  check: (args) => (args.length > 0 ? 'takes no arguments' : undefined),
  handler: (deps) => async (c) => {
    const user = c.command.user_id;
    const [role, users] = await Promise.all([deps.roles.role(user), deps.ops.usersOwnedBy(user)]);
    const list =
      users.length === 0
        ? 'No IAM user is tagged with your Slack id (SlackUserId).'
        : users
            .map((u) => `• \`${escapeText(u.username)}\` in ${escapeText(u.accountName)} (${u.account})`)
            .join('\n');
    await c.reply(`*You are* <@${user}>: ${ROLE_TEXT[role]}\n*Your IAM users*\n${list}`);
  },
};
