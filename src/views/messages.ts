import type { AuditEvent } from '../core/index.js';
import type { PendingRequest } from '../store/types.js';
import { escapeText } from './escape.js';
import { clip } from './limits.js';

/** Ephemeral and DM texts. Secrets appear only in the two `*Secret*` builders, which go to the owner's DM. */

export const STORE_UNAVAILABLE = 'approvals store unavailable, try again';

export function passwordSecretMessage(a: {
  username: string;
  account: string;
  password: string;
  signInUrl?: string;
}): string {
  const url = a.signInUrl ? `\nSign in at ${a.signInUrl}` : '';
  return [
    `Your AWS IAM user \`${escapeText(a.username)}\` in account ${escapeText(a.account)} is ready.`,
    `Initial console password: \`${a.password}\``,
    `You will be asked to change it at first sign-in; then enrol MFA with \`/aws-user mfa\`.${url}`,
    '_Delete this message once you have signed in._',
  ].join('\n');
}

export function accessKeySecretMessage(a: {
  username: string;
  account: string;
  accessKeyId: string;
  secretAccessKey: string;
  note?: string;
}): string {
  return [
    `New access key for \`${escapeText(a.username)}\` (account ${escapeText(a.account)}):`,
    `Access key id: \`${a.accessKeyId}\``,
    `Secret access key: \`${a.secretAccessKey}\``,
    a.note ?? '',
    '_This is the only time the secret is shown. Store it in your credentials manager and delete this message._',
  ]
    .filter(Boolean)
    .join('\n');
}

export function pendingList(requests: PendingRequest[]): string {
  if (requests.length === 0) return 'No pending requests.';
  const lines = requests
    .slice(0, 40)
    .map(
      (r) =>
        `• \`${r.id}\` ${r.kind} \`${escapeText(r.target.username)}\`${r.template ? ` (${escapeText(r.template)})` : ''} in ${escapeText(r.account)} by <@${r.requester}>, ${r.approvals.length}/${r.approvalsNeeded} approvals, expires ${r.expiresAt}`,
    );
  const more = requests.length > 40 ? `\n…and ${requests.length - 40} more` : '';
  return clip(`*Pending requests (${requests.length})*\n${lines.join('\n')}${more}`);
}

export function auditList(events: AuditEvent[], target?: string): string {
  const title = target ? `*Latest audit events for \`${escapeText(target)}\`*` : '*Latest audit events*';
  if (events.length === 0) return `${title}\nNone.`;
  const lines = events.map(
    (e) =>
      `• ${e.ts} ${escapeText(e.actor)} ${escapeText(e.action)} \`${escapeText(e.target)}\` in ${escapeText(e.account)}: ${e.outcome}${e.error ? ` (${escapeText(e.error)})` : ''}`,
  );
  return clip(`${title}\n${lines.join('\n')}`);
}
