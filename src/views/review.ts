import type { ActionsBlock, Button, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import type { EntitlementKind, ReviewCampaign, ReviewItem } from '../core/index.js';
import { escapeText as esc, slackDate } from './escape.js';
import { BLOCK_ID_MAX, BUTTON_TEXT_MAX, clip, MESSAGE_MAX_BLOCKS, TEXT_CLIP } from './limits.js';

/**
 * Access reviews in Slack: the reviewer's DM (one page of their open items, grouped by person, with Keep,
 * Revoke and Not my report on each), the comment and reassign modals, and App Home's review section.
 * Pure. Every button carries only an id (an item id, or `<campaignId>:<page>` for the pager): who may
 * decide, and what, is read from the store on click.
 */
export const REVIEW_ACTIONS = {
  keep: 'review_keep',
  revoke: 'review_revoke',
  notMine: 'review_not_mine',
  keepAll: 'review_keep_all',
  pagePrev: 'review_page_prev',
  pageNext: 'review_page_next',
  homeShow: 'review_home_show',
} as const;
export const REVIEW_COMMENT_CALLBACK = 'review_comment_submit';
export const REVIEW_REASSIGN_CALLBACK = 'review_reassign_submit';
/** Each input's action_id equals its block id, as everywhere in src/views. */
export const REVIEW_BLOCKS = {
  comment: 'review_comment',
  reassignTo: 'review_reassign_to',
  reason: 'review_reassign_reason',
} as const;

/** Items per DM page: 10 items, each under its own person in the worst case, is 3 + 10 × 3 = 33 blocks. */
export const REVIEW_PAGE_SIZE = 10;
/** App Home shows at most this many campaigns (2 + 4 + 1 = 7 blocks, plus their first items as room allows). */
export const HOME_REVIEW_MAX = 4;
/** The summary block's id says which page the message shows, so a re-render after a click stays on it. */
const PAGE_BLOCK = 'review_page_';
/** A piece of user text (name, policy, tag value) inside a longer line: long enough to read, never the line. */
const PIECE = 300;

type Thresholds = ReviewCampaign['thresholds'];

const KIND_LABEL: Record<EntitlementKind, string> = {
  group: 'Group',
  'managed-policy': 'Managed policy',
  'inline-policy': 'Inline policy',
  console: 'Console access',
  'access-key': 'Access key',
  'permission-set': 'Permission set',
};

function piece(s: string, max = PIECE): string {
  return esc(clip(s, max));
}

function button(actionId: string, text: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: clip(text, BUTTON_TEXT_MAX) },
    value,
    ...(style ? { style } : {}),
  };
}

/**
 * A heading in the DM (and Keep all's reach): a person in one account, so an Identity Center user's items in
 * two accounts are two headings (core's personOf counts them as one person).
 */
export function personKey(item: ReviewItem): string {
  return `${item.account}|${item.principal.kind}|${item.principal.id ?? item.principal.name}`;
}

/** The threshold an unused item was judged by, in words. */
export function unusedMarker(item: ReviewItem, t: Thresholds): string {
  const beyond =
    item.entitlement.kind === 'console'
      ? `${t.console_days} days`
      : item.entitlement.kind === 'access-key'
        ? `${t.access_key_days} days`
        : `the campaign's thresholds (console ${t.console_days} d, keys ${t.access_key_days} d)`;
  return `:warning: Unused beyond ${beyond}: keeping it needs a comment`;
}

export function entitlementText(item: ReviewItem): string {
  const e = item.entitlement;
  return `${KIND_LABEL[e.kind]} \`${piece(e.name)}\``;
}

function evidenceText(item: ReviewItem): string {
  const ev = item.evidence;
  const parts: string[] = [];
  if (ev.lastUsed)
    parts.push(
      `last used ${slackDate(ev.lastUsed)}${ev.lastUsedOf ? ` (${piece(ev.lastUsedOf, 100)})` : ''}`,
    );
  else if (ev.neverUsed) parts.push(`never used${ev.lastUsedOf ? ` (${piece(ev.lastUsedOf, 100)})` : ''}`);
  const created = item.entitlement.keyCreatedAt ?? ev.createdAt;
  if (created) parts.push(`created ${slackDate(created)}`);
  if (ev.note) parts.push(`_${piece(ev.note)}_`);
  return parts.length > 0 ? parts.join(' · ') : 'no usage evidence';
}

function personText(item: ReviewItem): string {
  const p = item.principal;
  const who = p.kind === 'identity-center-user' ? 'Identity Center user' : 'IAM user';
  return `:bust_in_silhouette: *${piece(p.name, 130)}*${p.email ? ` (${piece(p.email, 260)})` : ''}, ${who} in ${piece(item.accountName, 100)} (${esc(item.account)})`;
}

/** The item's own section text: what it is, the evidence, and the unused marker. */
export function itemText(item: ReviewItem, t: Thresholds): string {
  const lines = [`*${entitlementText(item)}*`, evidenceText(item)];
  if (item.evidence.unused) lines.push(unusedMarker(item, t));
  return clip(lines.join('\n'), TEXT_CLIP);
}

function itemBlocks(item: ReviewItem, t: Thresholds): KnownBlock[] {
  const revoke = button(REVIEW_ACTIONS.revoke, 'Revoke', item.id, 'danger');
  revoke.confirm = {
    title: { type: 'plain_text', text: 'Revoke this access?' },
    text: {
      type: 'mrkdwn',
      text: clip(
        `${entitlementText(item)} of *${piece(item.principal.name, 130)}* in ${piece(item.accountName, 100)}: its removal is filed right away.`,
        280,
      ),
    },
    confirm: { type: 'plain_text', text: 'Revoke' },
    deny: { type: 'plain_text', text: 'Cancel' },
    style: 'danger',
  };
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: `review_item_${item.id}`.slice(0, BLOCK_ID_MAX),
    elements: [
      button(REVIEW_ACTIONS.keep, 'Keep', item.id, 'primary'),
      revoke,
      button(REVIEW_ACTIONS.notMine, 'Not my report', item.id),
    ],
  };
  return [{ type: 'section', text: { type: 'mrkdwn', text: itemText(item, t) } }, actions];
}

export interface ReviewerPageInput {
  campaign: Pick<ReviewCampaign, 'id' | 'name' | 'dueAt' | 'thresholds'>;
  /** Every undecided item of this reviewer, in seq order: the page is cut from it. */
  open: readonly ReviewItem[];
  /** All the reviewer's items in the campaign, decided or not. */
  total: number;
  /** 0-based; clamped to the pages there are. */
  page: number;
  /** The opening line (why this DM: launch, reminder, …). */
  intro?: string;
  /** One line of feedback on the last click ("Kept …"). */
  notice?: string;
}

export function pageCount(open: number): number {
  return Math.max(1, Math.ceil(open / REVIEW_PAGE_SIZE));
}

/** The page a DM message shows, read back from its summary block (0 when it cannot be read). */
export function pageOfBlocks(blocks: readonly unknown[] | undefined): number {
  for (const b of blocks ?? []) {
    const id = (b as { block_id?: unknown }).block_id;
    if (typeof id === 'string' && id.startsWith(PAGE_BLOCK)) {
      const n = Number(id.slice(PAGE_BLOCK.length));
      return Number.isInteger(n) && n >= 0 ? n : 0;
    }
  }
  return 0;
}

/** `<campaignId>:<page>`, the pager's value. */
export function pageValue(campaignId: string, page: number): string {
  return `${campaignId}:${page}`;
}

export function parsePageValue(value: string): { campaignId: string; page: number } | undefined {
  const m = /^(rv-[0-9a-f]{8}):(\d{1,5})$/.exec(value);
  return m?.[1] && m[2] ? { campaignId: m[1], page: Number(m[2]) } : undefined;
}

/** The reviewer's DM: summary, one page of open items grouped by person, the pager. */
export function reviewerDm(input: ReviewerPageInput): { text: string; blocks: KnownBlock[] } {
  const { campaign, open } = input;
  const pages = pageCount(open.length);
  const page = Math.min(Math.max(0, Math.floor(input.page)), pages - 1);
  const name = piece(campaign.name, 200);
  const text = clip(
    `${input.intro ? `${input.intro} ` : ''}Access review ${esc(campaign.name)}: ${open.length} of ${input.total} item(s) left to review, due ${campaign.dueAt.slice(0, 10)}.`,
    TEXT_CLIP,
  );
  const summary = [
    input.intro ? clip(input.intro, 500) : undefined,
    `*Access review ${name}*: due ${slackDate(campaign.dueAt)}.`,
    open.length === 0
      ? `You have decided all ${input.total} of your item(s). Thank you.`
      : `*${open.length}* of your ${input.total} item(s) left to review. For each: *Keep* if the person still needs it, *Revoke* if not, *Not my report* to hand it to the right reviewer.`,
  ].filter((l): l is string => l !== undefined);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      block_id: `${PAGE_BLOCK}${page}`,
      text: { type: 'mrkdwn', text: clip(summary.join('\n'), TEXT_CLIP) },
    },
  ];
  if (input.notice)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(input.notice, TEXT_CLIP) }] });
  const shown = open.slice(page * REVIEW_PAGE_SIZE, (page + 1) * REVIEW_PAGE_SIZE);
  let person: string | undefined;
  for (const item of shown) {
    if (personKey(item) !== person) {
      person = personKey(item);
      const header: SectionBlock = {
        type: 'section',
        block_id: `review_person_${item.id}`.slice(0, BLOCK_ID_MAX),
        text: { type: 'mrkdwn', text: clip(personText(item), TEXT_CLIP) },
        accessory: button(REVIEW_ACTIONS.keepAll, 'Keep all', item.id),
      };
      blocks.push({ type: 'divider' }, header);
    }
    blocks.push(...itemBlocks(item, campaign.thresholds));
  }
  if (pages > 1) {
    const nav: Button[] = [];
    if (page > 0) nav.push(button(REVIEW_ACTIONS.pagePrev, 'Previous', pageValue(campaign.id, page - 1)));
    if (page < pages - 1) nav.push(button(REVIEW_ACTIONS.pageNext, 'Next', pageValue(campaign.id, page + 1)));
    blocks.push(
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Page ${page + 1} of ${pages}` }] },
      { type: 'actions', block_id: 'review_pager', elements: nav },
    );
  }
  return { text, blocks: blocks.slice(0, MESSAGE_MAX_BLOCKS) };
}

function itemSummary(item: ReviewItem): string {
  return clip(
    `${entitlementText(item)} of *${piece(item.principal.name, 130)}* in ${piece(item.accountName, 100)} (${esc(item.account)})`,
    TEXT_CLIP,
  );
}

/** Keep with a comment: required for access unused beyond the thresholds (the auditor reads why it stayed). */
/** A modal opened from App Home says so in its private_metadata, so its submission can re-publish Home. */
const FROM_HOME = 'home:';

/** The item a review modal is about, and whether it was opened from App Home. */
export function modalItem(privateMetadata: string): { itemId: string; home: boolean } {
  return privateMetadata.startsWith(FROM_HOME)
    ? { itemId: privateMetadata.slice(FROM_HOME.length), home: true }
    : { itemId: privateMetadata, home: false };
}

function modalMetadata(itemId: string, fromHome: boolean): string {
  return fromHome ? `${FROM_HOME}${itemId}` : itemId;
}

export function commentModal(item: ReviewItem, t: Thresholds, fromHome = false): ModalView {
  return {
    type: 'modal',
    callback_id: REVIEW_COMMENT_CALLBACK,
    private_metadata: modalMetadata(item.id, fromHome),
    title: { type: 'plain_text', text: 'Keep unused access' },
    submit: { type: 'plain_text', text: 'Keep' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: itemSummary(item) } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: clip(`${evidenceText(item)}\n${unusedMarker(item, t)}`) }],
      },
      {
        type: 'input',
        block_id: REVIEW_BLOCKS.comment,
        label: { type: 'plain_text', text: 'Why does this access stay?' },
        hint: { type: 'plain_text', text: 'The auditor reads this in the campaign report.' },
        element: {
          type: 'plain_text_input',
          action_id: REVIEW_BLOCKS.comment,
          multiline: true,
          min_length: 3,
          max_length: 1000,
        },
      },
    ],
  };
}

/**
 * "Not my report": opened at once on the click (the trigger lives 3 s), so it names the item by id only;
 * the submission reads the item from the store.
 */
export function reassignModal(itemId: string, fromHome = false): ModalView {
  return {
    type: 'modal',
    callback_id: REVIEW_REASSIGN_CALLBACK,
    private_metadata: modalMetadata(itemId, fromHome),
    title: { type: 'plain_text', text: 'Not my report' },
    submit: { type: 'plain_text', text: 'Hand over' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Who should review item \`${esc(clip(itemId, 100))}\`? They get it by DM; the owner of the access cannot be its reviewer.`,
        },
      },
      {
        type: 'input',
        block_id: REVIEW_BLOCKS.reassignTo,
        label: { type: 'plain_text', text: 'New reviewer' },
        element: { type: 'users_select', action_id: REVIEW_BLOCKS.reassignTo },
      },
      {
        type: 'input',
        block_id: REVIEW_BLOCKS.reason,
        label: { type: 'plain_text', text: 'Why them?' },
        element: {
          type: 'plain_text_input',
          action_id: REVIEW_BLOCKS.reason,
          multiline: true,
          min_length: 3,
          max_length: 500,
        },
      },
    ],
  };
}

export interface HomeReview {
  campaignId: string;
  name: string;
  dueAt: string;
  open: number;
  /** The campaign's thresholds, for the unused marker on the items shown. */
  thresholds?: Thresholds;
  /** The first of the caller's open items, in seq order (Home shows up to HOME_ITEMS_PER_CAMPAIGN). */
  items?: readonly ReviewItem[];
}

/** Items shown under one campaign on Home, and in all: 2 + 4 + 2 × 6 + 1 = 19 blocks at most. */
export const HOME_ITEMS_PER_CAMPAIGN = 3;
export const HOME_ITEMS_MAX = 6;
/** A Home item is a section and its buttons. */
const HOME_ITEM_BLOCKS = 2;

/** One item on Home: who, where and what in one section, then the DM's Keep / Revoke / Not my report. */
function homeItemBlocks(item: ReviewItem, t: Thresholds): KnownBlock[] {
  const p = item.principal;
  const who = `*${piece(p.name, 130)}* in ${piece(item.accountName, 100)} (${esc(item.account)})`;
  const [section, actions] = itemBlocks(item, t) as [SectionBlock, ActionsBlock];
  return [
    {
      ...section,
      block_id: `review_home_item_${item.id}`.slice(0, BLOCK_ID_MAX),
      text: { type: 'mrkdwn', text: clip(`${who}\n${itemText(item, t)}`, TEXT_CLIP) },
    },
    actions,
  ];
}

/**
 * App Home's "Access reviews" section: per campaign with items left, a line with "Show my items" (the whole
 * list, as a DM) and the first few open items with their buttons; nothing when none. `budget` is the blocks
 * Home has left for the section: the campaign lines always show, items only as far as the budget allows.
 */
export function homeReviewBlocks(
  reviews: readonly HomeReview[],
  budget = Number.POSITIVE_INFINITY,
): KnownBlock[] {
  const left = reviews.filter((r) => r.open > 0);
  if (left.length === 0) return [];
  const shownCampaigns = left.slice(0, HOME_REVIEW_MAX);
  const base = 2 + shownCampaigns.length + (left.length > HOME_REVIEW_MAX ? 1 : 0);
  let itemRoom = Math.min(HOME_ITEMS_MAX, Math.max(0, Math.floor((budget - base) / HOME_ITEM_BLOCKS)));
  const blocks: KnownBlock[] = [
    { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: 'Access reviews' } },
  ];
  for (const r of shownCampaigns) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`*${r.open}* item(s) to review in *${piece(r.name, 200)}*, due ${slackDate(r.dueAt)}`),
      },
      accessory: button(REVIEW_ACTIONS.homeShow, 'Show my items', r.campaignId, 'primary'),
    });
    if (!r.thresholds) continue;
    const items = (r.items ?? []).slice(0, Math.min(HOME_ITEMS_PER_CAMPAIGN, itemRoom));
    for (const item of items) blocks.push(...homeItemBlocks(item, r.thresholds));
    itemRoom -= items.length;
  }
  if (left.length > HOME_REVIEW_MAX)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${left.length - HOME_REVIEW_MAX} more campaigns` }],
    });
  return blocks;
}
