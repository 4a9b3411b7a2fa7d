import type { Role } from '../handlers/lib/roles.js';

/** The App Home tab: what the bot does and the caller's role. Pure. */
export function homeView(role: Role, usage: readonly string[]): Record<string, unknown> {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'aws-user' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Request, approve and manage AWS IAM users. Your role: *${role}*. Secrets (passwords, keys, MFA QR codes) only ever arrive here, in your DMs with this app.`,
        },
      },
      { type: 'divider' },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: usage.map((u) => `• \`/aws-user ${u}\``).join('\n') },
      },
    ],
  };
}
