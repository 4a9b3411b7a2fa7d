import type { KnownBlock, PlainTextElement } from '@slack/types';
import type { Grant } from '../core/index.js';
import { escapeText as esc, slackDate } from './escape.js';
import { accessLabel } from './grant-modal.js';
import { BUTTON_TEXT_MAX, clip, TEXT_MAX } from './limits.js';

/**
 * The messages about a grant once it exists: applied, about to expire, revoked, and the break-glass broadcast.
 * Button values carry only the grant id; the handler reads the grant from the store and checks who clicked.
 */
export const GRANT_ACTIONS = {
  extend: 'grant_extend',
  done: 'grant_done',
  adminRevoke: 'grant_admin_revoke',
} as const;

function plain(text: string): PlainTextElement {
  return { type: 'plain_text', text: text.slice(0, BUTTON_TEXT_MAX), emoji: true };
}

function grantLine(g: Grant): string {
  if (g.kind === 'permission-set')
    return `${accessLabel(g.kind, g.target)} for Identity Center user \`${esc(g.username)}\` in account ${g.account}`;
  return `${accessLabel(g.kind, g.target)} for \`${esc(g.username)}\` in account ${g.account}`;
}

/** The DM sent 15 minutes before expiry. */
export function grantNoticeBlocks(g: Grant): KnownBlock[] {
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:hourglass_flowing_sand: Your ${grantLine(g)} expires ${slackDate(g.expiresAt)}.`,
      },
    },
    {
      type: 'actions',
      block_id: `grant_notice_${g.id}`,
      elements: [
        {
          type: 'button',
          action_id: GRANT_ACTIONS.extend,
          text: plain('Extend (needs approval)'),
          value: g.id,
        },
        {
          type: 'button',
          action_id: GRANT_ACTIONS.done,
          text: plain("I'm done"),
          style: 'danger',
          value: g.id,
        },
      ],
    },
  ];
}

export function grantAppliedBlocks(g: Grant, extended: boolean): KnownBlock[] {
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:white_check_mark: ${extended ? 'Extended' : 'Granted'}: ${grantLine(g)} until ${slackDate(g.expiresAt)}.`,
      },
    },
    {
      type: 'actions',
      block_id: `grant_applied_${g.id}`,
      elements: [{ type: 'button', action_id: GRANT_ACTIONS.done, text: plain("I'm done"), value: g.id }],
    },
  ];
}

export function grantRevokedText(g: Grant, why: string): string {
  return `:lock: Revoked (${esc(why)}): ${grantLine(g)}.`;
}

/** Leaves room for the line before the reason, which names the user, the access and the expiry. */
const REASON_CLIP = TEXT_MAX - 500;

/** To the approvals channel and each admin's DM, at once. */
export function breakGlassBroadcastBlocks(g: Grant, requester: string): KnownBlock[] {
  return [
    { type: 'header', text: plain(':rotating_light: Break-glass access granted') },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `<@${requester}> took ${grantLine(g)} until ${slackDate(g.expiresAt)}.\n*Reason:* ${clip(esc(g.reason), REASON_CLIP)}`,
      },
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: 'Flagged for review in the audit trail. Admins can revoke it now.' },
      ],
    },
    {
      type: 'actions',
      block_id: `break_glass_${g.id}`,
      elements: [
        {
          type: 'button',
          action_id: GRANT_ACTIONS.adminRevoke,
          text: plain('Revoke now'),
          style: 'danger',
          value: g.id,
        },
      ],
    },
  ];
}
