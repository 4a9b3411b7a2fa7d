import type { KnownBlock } from '@slack/types';
import type { PendingRequest } from '../store/types.js';
import { REMEDIATION_LABEL } from './digest.js';
import { escapeText, slackDate } from './escape.js';
import { formatMinutes } from './grant-modal.js';
import { clip, FIELD_CLIP } from './limits.js';

export const APPROVE_ACTION = 'approval_approve';
export const DENY_ACTION = 'approval_deny';
export const APPROVAL_ACTIONS_BLOCK = 'approval_actions';

const STATUS_LINE: Record<PendingRequest['status'], string> = {
  pending: ':hourglass_flowing_sand: Waiting for approval',
  approving: ':gear: Approved, running',
  done: ':white_check_mark: Done',
  failed: ':x: Failed',
  denied: ':no_entry: Denied',
  expired: ':alarm_clock: Expired',
};

function when(iso: string | undefined): string {
  if (!iso) return '';
  return ` ${slackDate(iso)}`;
}

export function requestTitle(r: PendingRequest): string {
  if (r.kind === 'revoke') return revocationTitle(r);
  const userKind = r.identityCenter ? 'IAM Identity Center user' : 'IAM user';
  if (r.kind === 'offboard') return `Offboard ${userKind} \`${escapeText(r.target.username)}\``;
  if (r.kind === 'remediate' && r.remediation) {
    const label = REMEDIATION_LABEL[r.remediation.action];
    return `Remediate access-review finding: ${label} of \`${escapeText(r.target.username)}\` in ${escapeText(r.remediation.finding.accountName)}`;
  }
  if (r.kind === 'grant' && r.grant?.kind === 'permission-set') {
    const verb = r.grant.extension ? 'Extend temporary access' : 'Temporary access';
    const where = `${escapeText(r.grant.accountName ?? r.account)} (${escapeText(r.account)})`;
    return `${verb}: permission set *${escapeText(r.grant.target)}* in ${where} for Identity Center user \`${escapeText(r.target.username)}\` for ${formatMinutes(r.grant.durationMinutes)}`;
  }
  if (r.kind === 'grant' && r.grant) {
    const what = r.grant.kind === 'group' ? `group ${r.grant.target}` : `policy ${r.grant.target}`;
    const verb = r.grant.extension ? 'Extend temporary access' : 'Temporary access';
    return `${verb}: ${escapeText(what)} for \`${escapeText(r.target.username)}\` for ${formatMinutes(r.grant.durationMinutes)}`;
  }
  return `Create ${userKind} \`${escapeText(r.target.username)}\` from template *${escapeText(r.template ?? '')}*`;
}

/** The approval message's title words for a revocation request. */
function revocationTitle(r: PendingRequest): string {
  const rv = r.review;
  if (!rv) return `Revoke access of \`${escapeText(r.target.username)}\``;
  const who = `${rv.principal.kind === 'identity-center-user' ? 'Identity Center user' : 'IAM user'} \`${escapeText(rv.principal.name)}\``;
  const name = escapeText(rv.entitlement.name);
  const where = `${escapeText(rv.accountName)} (${escapeText(r.account)})`;
  return `Access review revocation: ${revokeVerb(rv.entitlement.kind, name, who)} in ${where}`;
}

function revokeVerb(
  kind: NonNullable<PendingRequest['review']>['entitlement']['kind'],
  name: string,
  who: string,
): string {
  switch (kind) {
    case 'group':
      return `remove ${who} from group *${name}*`;
    case 'managed-policy':
      return `detach managed policy *${name}* from ${who}`;
    case 'inline-policy':
      return `delete inline policy *${name}* of ${who}`;
    case 'console':
      return `disable console sign-in of ${who}`;
    case 'access-key':
      return `deactivate ${name} of ${who}`;
    case 'permission-set':
      return `remove permission set *${name}* from ${who}`;
  }
}

/** Who a rule asks for, in words: "2 approvals from admins", "1 approval from an approver". */
function whoApproves(e: { adminOnly: boolean; approvalsNeeded: number }): string {
  const n = e.approvalsNeeded;
  const count = `${n} approval${n === 1 ? '' : 's'}`;
  if (e.adminOnly) return `${count} from ${n === 1 ? 'an admin' : 'admins'}`;
  return `${count} from ${n === 1 ? 'an approver' : 'approvers'}`;
}

/**
 * Access that a stricter template than the request's own also grants, said in plain words, so an approver
 * sees "adds group Administrators" rather than a quorum they cannot explain.
 */
function elevatedBlocks(r: PendingRequest): KnownBlock[] {
  if (!r.elevated || r.elevated.length === 0) return [];
  const lines = r.elevated.map(
    (e) =>
      `• adds ${e.kind} *${escapeText(e.name)}*, which template *${escapeText(e.template)}* grants: it needs ${whoApproves(e)}`,
  );
  const text = `:warning: *Elevated access*: this request asks for more than its template gives.\n${lines.join('\n')}\nSo the whole request needs ${whoApproves(r)}.`;
  return [{ type: 'section', text: { type: 'mrkdwn', text: clip(text) } }];
}

/** The approvals-channel message for a request, in any state. Buttons carry only the request id. */
export function approvalMessage(
  r: PendingRequest,
  progress?: string,
): { text: string; blocks: KnownBlock[] } {
  const fields = [
    `*Requested by*\n<@${r.requester}>`,
    r.identityCenter ? '*Where*\nIAM Identity Center' : `*Account*\n${escapeText(r.account)}`,
    `*Owner*\n${r.target.slackUserId ? `<@${r.target.slackUserId}>` : escapeText(r.target.email ?? 'unknown')}`,
    `*Approvals*\n${r.approvals.length}/${r.approvalsNeeded}${r.adminOnly ? ' (admins only)' : ''}`,
  ];
  if (r.extraGroups.length > 0) fields.push(`*Extra groups*\n${escapeText(r.extraGroups.join(', '))}`);
  if (r.durationHours) fields.push(`*Duration*\n${r.durationHours} h`);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(requestTitle(r)) } },
    { type: 'section', fields: fields.map((t) => ({ type: 'mrkdwn', text: clip(t, FIELD_CLIP) })) },
    ...elevatedBlocks(r),
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*Justification*\n${escapeText(r.justification)}`) },
    },
  ];
  if (r.approvals.length > 0) {
    const who = r.approvals.map((a) => `<@${a.user}>${when(a.at)}`).join(', ');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`Approved by ${who}`) }] });
  }
  let status = STATUS_LINE[r.status];
  if (r.status === 'denied' && r.decidedBy) status += ` by <@${r.decidedBy}>${when(r.decidedAt)}`;
  if (r.status === 'expired') status += when(r.decidedAt);
  if (r.outcome && r.status !== 'pending') status += `: ${escapeText(r.outcome)}`;
  if (progress && r.status === 'approving') status += ` (${escapeText(progress)})`;
  if (r.status === 'pending') status += ` (expires${when(r.expiresAt)})`;
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(status) } });
  if (r.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: APPROVAL_ACTIONS_BLOCK,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: r.id,
        },
        {
          type: 'button',
          action_id: DENY_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: r.id,
        },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${r.id}\`` }] });
  const text = `${requestTitle(r).replace(/[*`]/g, '')}: ${STATUS_LINE[r.status].replace(/^:[a-z_]+: /, '')}`;
  return { text, blocks };
}
