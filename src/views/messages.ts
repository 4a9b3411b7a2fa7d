import type { AuditEvent } from '../core/index.js';
import type { PendingRequest } from '../store/types.js';
import { escapeText } from './escape.js';
import { clip, TEXT_CLIP } from './limits.js';

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

function auditLine(e: AuditEvent): string {
  const where = e.account ? ` in ${escapeText(e.account)}` : '';
  return `• ${e.ts} ${escapeText(e.actor)} ${escapeText(e.action)} \`${escapeText(e.target)}\`${where}: ${e.outcome}${e.error ? ` (${escapeText(e.error)})` : ''}`;
}

export function auditList(events: AuditEvent[], target?: string): string {
  const title = target ? `*Latest audit events for \`${escapeText(target)}\`*` : '*Latest audit events*';
  if (events.length === 0) return `${title}\nNone.`;
  return clip(`${title}\n${events.map(auditLine).join('\n')}`);
}

/**
 * `/aws-user audit --since`: how many events the range holds (by outcome), the latest few, and the export
 * command for the whole range. The list is clipped, never the count or the command.
 */
export function auditWindow(w: {
  since: string;
  target?: string;
  total: number;
  /** False when the count stopped at a cap: then it is a lower bound. */
  complete: boolean;
  outcomes: Record<string, number>;
  /** Newest first. */
  latest: AuditEvent[];
}): string {
  const who = w.target ? ` for \`${escapeText(w.target)}\`` : '';
  const title = `*Audit events since ${w.since}${who}*`;
  const tally = Object.entries(w.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${n.toLocaleString('en-US')} ${o}`)
    .join(', ');
  const count =
    w.total === 0
      ? 'None.'
      : `${w.complete ? '' : 'At least '}${w.total.toLocaleString('en-US')} event${w.total === 1 ? '' : 's'}: ${tally}`;
  const footer = `The whole range, for an auditor: \`aws-user audit export --since ${w.since} --format csv\``;
  const head = `${title}\n${count}`;
  if (w.latest.length === 0) return clip(`${head}\n${footer}`);
  const room = TEXT_CLIP - head.length - footer.length - 40;
  const list = clip(w.latest.map(auditLine).join('\n'), Math.max(room, 100));
  return clip(`${head}\n*Latest ${w.latest.length}*\n${list}\n${footer}`);
}
