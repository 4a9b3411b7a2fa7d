import { escapeText } from './escape.js';

/**
 * The DM to the owner of a new IAM Identity Center user. It holds no secret because there is none: users
 * created through the Identity Store API get no password and, by default, no invitation email. What it says
 * is what AWS does: they sign in at the AWS access portal, and get a one-time email code only when the
 * instance's "Send email OTP for users created from API" setting is on; otherwise an admin sends them the
 * email from the IAM Identity Center console.
 */
export function identityCenterWelcome(u: {
  userName: string;
  groups: readonly string[];
  portalUrl?: string;
}): string {
  const groups = u.groups.length > 0 ? ` in ${u.groups.map((g) => `*${escapeText(g)}*`).join(', ')}` : '';
  const portal = u.portalUrl
    ? `the AWS access portal, ${u.portalUrl}`
    : 'your organization’s AWS access portal (ask an admin for its URL)';
  return [
    `:wave: You now have an IAM Identity Center user \`${escapeText(u.userName)}\`${groups}.`,
    'No password was created or sent, and IAM Identity Center does not email an invitation to users created through its API.',
    `To sign in, go to ${portal} and enter your user name. If your administrators turned on "Send email OTP for users created from API", you get a one-time code by email and then set your password.`,
    'If no code arrives, ask an IAM Identity Center admin to send you the email to set your password from the IAM Identity Center console (Users → your user → Reset password / Send email verification).',
  ].join('\n');
}
