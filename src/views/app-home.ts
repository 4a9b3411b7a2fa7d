import type { Button, HomeView, KnownBlock } from '@slack/types';
import type { Grant } from '../core/index.js';
import { escapeText as esc, slackDate } from './escape.js';
import { GRANT_ACTIONS } from './grant-messages.js';
import { accessLabel } from './grant-modal.js';
import { ALT_TEXT_MAX, BLOCK_ID_MAX, clip, TEXT_CLIP, VIEW_MAX_BLOCKS } from './limits.js';
import { type HomeReview, homeReviewBlocks } from './review.js';

/**
 * App Home: the caller's IAM users across accounts (MFA, key ages, active grants with expiry), self-service
 * buttons, and for approvers the requests waiting for them. Pure; App Home allows 100 blocks, so every list
 * is capped with a "and N more" line.
 */
export const HOME_ACTIONS = {
  enrollMfa: 'home_enroll_mfa',
  rotateKey: 'home_rotate_key',
  requestAccess: 'home_request_access',
  refresh: 'home_refresh',
} as const;

export interface HomeUser {
  account: string;
  accountName: string;
  username: string;
  mfaEnabled: boolean;
  keys: { id: string; status: string; ageDays: number }[];
}

export interface HomePending {
  id: string;
  summary: string;
  requester: string;
  expiresAt: string;
}

export interface HomeInput {
  role: string;
  /** `/aws-user` usages, e.g. "request". */
  usage: readonly string[];
  users: HomeUser[];
  grants: Grant[];
  /** Account id → name, for the permission-set grants' lines; an id missing here is shown alone. */
  accountNames?: Record<string, string>;
  /** Only for approvers; undefined hides the section. */
  pending?: HomePending[];
  /** Approvers and admins: the inactive-user findings trend over every account (flows/trend.ts). */
  trend?: { text: string; image?: { fileId: string; alt: string } };
  /** Open access reviews with items waiting for the caller (7 blocks, plus items as room allows: views/review.ts). */
  reviews?: HomeReview[];
  /** Accounts that could not be read, shown rather than silently missing. */
  failedAccounts?: string[];
  maxKeyAgeDays: number;
}

const MAX_USERS = 15;
const MAX_GRANTS = 15;
const MAX_PENDING = 15;

/** `account|username`: which of the caller's own users a self-service button acts on (re-checked on click). */
export function userRef(u: { account: string; username: string }): string {
  return `${u.account}|${u.username}`;
}

/**
 * Only a real account id is accepted: a button published before accounts were always resolved may still say
 * `home|…`, and that button is out of date rather than a name to guess at.
 */
export function parseUserRef(value: string): { account: string; username: string } | undefined {
  const [account, username, ...rest] = value.split('|');
  return account && /^\d{12}$/.test(account) && username && rest.length === 0
    ? { account, username }
    : undefined;
}

function more(n: number, what: string): KnownBlock[] {
  return n > 0 ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${n} more ${what}` }] }] : [];
}

function keyText(u: HomeUser, maxAge: number): string {
  if (u.keys.length === 0) return 'no access keys';
  return u.keys
    .map(
      (k) =>
        `\`${k.id.slice(-4)}\` ${k.status.toLowerCase()}, ${k.ageDays} d${k.ageDays > maxAge ? ' :warning:' : ''}`,
    )
    .join(' · ');
}

/**
 * Each failure as far as the text allows, then how many more: many failed accounts with long errors would
 * otherwise pass Slack's 3,000 characters, or end mid-word with no sign of how many were left out.
 */
function couldNotRead(failed: readonly string[]): string {
  let out = ':warning: Could not read:';
  for (let i = 0; i < failed.length; i++) {
    const item = `${i === 0 ? ' ' : '; '}${clip(esc(failed[i] as string), 400)}`;
    const tail = i < failed.length - 1 ? `; …and ${failed.length - i - 1} more` : '';
    if (out.length + item.length + tail.length > TEXT_CLIP) return `${out}; …and ${failed.length - i} more`;
    out += item;
  }
  return out;
}

export function appHomeView(input: HomeInput): HomeView {
  const head: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Your AWS access' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Your role: *${esc(input.role)}*. Secrets (passwords, keys, MFA QR codes) only ever arrive in your DMs with this app.`,
        },
      ],
    },
    {
      type: 'actions',
      block_id: 'home_actions',
      elements: [
        {
          type: 'button',
          action_id: HOME_ACTIONS.requestAccess,
          text: { type: 'plain_text', text: 'Request access' },
        },
        { type: 'button', action_id: HOME_ACTIONS.refresh, text: { type: 'plain_text', text: 'Refresh' } },
      ],
    },
  ];
  // The review section sits under the head but is drawn last: its items take only the blocks the rest leaves.
  const blocks: KnownBlock[] = [];
  if (input.users.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: 'No IAM user is tagged with your Slack id in any account. Ask for one with `/aws-user create`.',
      },
    });
  }
  for (const u of input.users.slice(0, MAX_USERS)) {
    const buttons: Button[] = [];
    if (!u.mfaEnabled) {
      buttons.push({
        type: 'button',
        action_id: HOME_ACTIONS.enrollMfa,
        text: { type: 'plain_text', text: 'Enroll MFA' },
        style: 'primary',
        value: userRef(u),
      });
    }
    if (u.keys.some((k) => k.status === 'Active')) {
      buttons.push({
        type: 'button',
        action_id: HOME_ACTIONS.rotateKey,
        text: { type: 'plain_text', text: 'Rotate my key' },
        value: userRef(u),
      });
    }
    blocks.push({ type: 'divider' });
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*${esc(u.username)}* in ${esc(u.accountName)} (${u.account})\nMFA: ${u.mfaEnabled ? ':white_check_mark: enabled' : ':x: not enabled'}\nKeys: ${keyText(u, input.maxKeyAgeDays)}`,
        ),
      },
    });
    if (buttons.length > 0)
      blocks.push({
        type: 'actions',
        block_id: `home_user_${userRef(u)}`.slice(0, BLOCK_ID_MAX),
        elements: buttons,
      });
  }
  blocks.push(...more(input.users.length - MAX_USERS, 'IAM users'));

  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Active grants' } });
  if (input.grants.length === 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'No time-bound access right now.' }] });
  }
  for (const g of input.grants.slice(0, MAX_GRANTS)) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          g.kind === 'permission-set'
            ? `${g.breakGlass ? ':rotating_light: ' : ''}${esc(g.target)} in ${esc(input.accountNames?.[g.account] ?? g.account)} (${g.account}) until ${slackDate(g.expiresAt)}, Identity Center (\`${esc(g.username)}\`)`
            : `${g.breakGlass ? ':rotating_light: ' : ''}${accessLabel(g.kind, g.target)} for \`${esc(g.username)}\` (${g.account}), expires ${slackDate(g.expiresAt)}`,
        ),
      },
      accessory: {
        type: 'button',
        action_id: GRANT_ACTIONS.done,
        text: { type: 'plain_text', text: "I'm done" },
        value: g.id,
      },
    });
  }
  blocks.push(...more(input.grants.length - MAX_GRANTS, 'grants'));

  if (input.pending) {
    blocks.push(
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: 'Waiting for your approval' } },
    );
    if (input.pending.length === 0) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing waiting for you.' }] });
    }
    for (const p of input.pending.slice(0, MAX_PENDING)) {
      blocks.push({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip(`${esc(p.summary)}, asked by <@${p.requester}> (request \`${p.id.slice(0, 8)}\`)`),
        },
      });
    }
    blocks.push(...more(input.pending.length - MAX_PENDING, 'requests'));
  }
  if (input.trend) {
    blocks.push(
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: 'Inactive-user findings' } },
    );
    if (input.trend.image)
      blocks.push({
        type: 'image',
        slack_file: { id: input.trend.image.fileId },
        alt_text: clip(input.trend.image.alt, ALT_TEXT_MAX),
      });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(input.trend.text) } });
  }
  if (input.failedAccounts && input.failedAccounts.length > 0) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: couldNotRead(input.failedAccounts),
        },
      ],
    });
  }
  blocks.push(
    { type: 'divider' },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: input.usage
            .map((u) => `\`/aws-user ${esc(u)}\``)
            .join(' · ')
            .slice(0, TEXT_CLIP),
        },
      ],
    },
  );
  const reviews = homeReviewBlocks(input.reviews ?? [], VIEW_MAX_BLOCKS - head.length - blocks.length);
  return { type: 'home', blocks: [...head, ...reviews, ...blocks].slice(0, VIEW_MAX_BLOCKS) };
}
