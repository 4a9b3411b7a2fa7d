import type { KnownBlock } from '@slack/types';
import type { ReviewCampaign, ReviewerProgress } from '../core/index.js';
import { escapeText, slackDate } from './escape.js';
import { clip, HEADER_TEXT_MAX, MESSAGE_MAX_BLOCKS, TEXT_CLIP } from './limits.js';

/**
 * The campaign's one message in the review channel, updated in place: where it stands overall, who still
 * has items open, what could not be assigned, and once closed, where the report went. Pure.
 */

/** Reviewer lines shown; the rest are summed in one line (a 500-reviewer campaign stays one readable message). */
export const PROGRESS_REVIEWERS_SHOWN = 150;
/** Blocks kept for reviewer lines, under the message's 50 with the header, summary and footer. */
const REVIEWER_BLOCKS_MAX = MESSAGE_MAX_BLOCKS - 10;

export interface ReviewProgressInput {
  campaign: ReviewCampaign;
  /** store.reviews.progress: one row per reviewer; reviewer '' holds unassigned items. */
  progress: readonly ReviewerProgress[];
  /** Closed: the report's whereabouts, as links. */
  jiraUrl?: string;
  /** Revocations in the closing summary (requested = pending). */
  revocations?: { done: number; failed: number; pending: number };
}

export interface ReviewTotals {
  total: number;
  decided: number;
  kept: number;
  revoked: number;
  unassigned: number;
}

export function reviewTotals(progress: readonly ReviewerProgress[]): ReviewTotals {
  const t: ReviewTotals = { total: 0, decided: 0, kept: 0, revoked: 0, unassigned: 0 };
  for (const p of progress) {
    t.total += p.total;
    t.decided += p.decided;
    t.kept += p.kept;
    t.revoked += p.revoked;
    if (!p.reviewer) t.unassigned += p.total - p.decided;
  }
  return t;
}

const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;

/** A mention for a real user id; anything else (never expected) stays inert text. */
export function mention(id: string): string {
  return SLACK_USER.test(id) ? `<@${id}>` : `\`${escapeText(id).replace(/`/g, "'")}\``;
}

function percent(decided: number, total: number): string {
  return total === 0 ? '100%' : `${Math.floor((decided * 100) / total)}%`;
}

const CLOSED_REASON: Record<NonNullable<ReviewCampaign['closedReason']>, string> = {
  'all-decided': 'every item was decided',
  due: 'the deadline and its escalation period passed',
  'closed-by-admin': 'an admin closed it',
};

function stateLine(c: ReviewCampaign): string {
  switch (c.status) {
    case 'created':
      return `Starting: reviewers are being resolved. Due ${slackDate(c.dueAt)}.`;
    case 'open':
      return c.escalatedAt
        ? `*Overdue*: due ${slackDate(c.dueAt)}; undecided items went to the fallback reviewers ${slackDate(c.escalatedAt)}.`
        : `*Open*: due ${slackDate(c.dueAt)}.`;
    case 'closing':
      return 'Closing: the report is being written.';
    case 'closed':
      return `*Closed*${c.closedAt ? ` ${slackDate(c.closedAt)}` : ''}: ${CLOSED_REASON[c.closedReason ?? 'due']}.`;
  }
}

/** Lines packed into as few sections as fit under the text limit, at most `maxBlocks`. */
function packLines(lines: readonly string[], maxBlocks: number): { blocks: KnownBlock[]; used: number } {
  const blocks: KnownBlock[] = [];
  let cur: string[] = [];
  let len = 0;
  let used = 0;
  for (const line of lines) {
    if (cur.length && len + line.length + 1 > TEXT_CLIP) {
      if (blocks.length + 1 >= maxBlocks) break;
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cur.join('\n') } });
      cur = [];
      len = 0;
    }
    cur.push(clip(line, TEXT_CLIP));
    len += line.length + 1;
    used++;
  }
  if (cur.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cur.join('\n') } });
  return { blocks, used };
}

export function reviewProgressMessage(input: ReviewProgressInput): { text: string; blocks: KnownBlock[] } {
  const c = input.campaign;
  const t = reviewTotals(input.progress);
  const open = c.status === 'created' || c.status === 'open';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`Access review: ${c.name}`, HEADER_TEXT_MAX) },
    },
  ];
  const overall = `*${t.decided} of ${t.total}* items decided (${percent(t.decided, t.total)}): ${t.kept} kept, ${t.revoked} revoked${t.total > t.decided ? `, ${t.total - t.decided} undecided` : ''}.`;
  const rev = input.revocations;
  const revLine = rev ? `\nRevocations: ${rev.done} done, ${rev.failed} failed, ${rev.pending} pending.` : '';
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: clip(`${stateLine(c)}\n${overall}${revLine}`) },
  });
  const failed = c.accounts.filter((a) => !a.ok);
  if (failed.length)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: clip(
            `:warning: ${failed.length} account(s) could not be read at the start; their IAM users are not in this campaign: ${failed
              .map((a) => `${escapeText(a.name)} (${a.id})${a.error ? `: ${escapeText(a.error)}` : ''}`)
              .join('; ')}`,
          ),
        },
      ],
    });
  if (t.unassigned > 0)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:warning: *${t.unassigned} item(s) have no reviewer*: every fallback reviewer is their owner. Add a fallback reviewer (review.fallback_reviewers) who can review them.`,
      },
    });

  if (open) {
    // Who holds the campaign up comes first.
    const rows = input.progress
      .filter((p) => p.reviewer)
      .slice()
      .sort((a, b) => b.total - b.decided - (a.total - a.decided) || (a.reviewer < b.reviewer ? -1 : 1));
    const lines = rows
      .slice(0, PROGRESS_REVIEWERS_SHOWN)
      .map(
        (p) =>
          `${p.decided === p.total ? ':white_check_mark:' : '•'} ${mention(p.reviewer)} ${p.decided}/${p.total}`,
      );
    const packed = packLines(lines, REVIEWER_BLOCKS_MAX);
    if (packed.blocks.length) {
      blocks.push({ type: 'divider' });
      blocks.push(...packed.blocks);
    }
    const rest = rows.slice(packed.used);
    if (rest.length) {
      const openItems = rest.reduce((n, p) => n + p.total - p.decided, 0);
      blocks.push({
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `…and ${rest.length} more reviewer(s) with ${openItems} undecided item(s).`,
          },
        ],
      });
    }
  } else if (c.status === 'closed') {
    const where = [
      c.report?.fileIds?.length ? 'the CSV and JSON report are attached below' : undefined,
      input.jiraUrl && c.report?.jiraKey
        ? `Jira <${input.jiraUrl}|${escapeText(c.report.jiraKey)}>`
        : c.report?.jiraKey
          ? `Jira ${escapeText(c.report.jiraKey)}`
          : undefined,
    ].filter(Boolean);
    if (where.length)
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Evidence: ${where.join('; ')}.` }],
      });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: clip(
          `Campaign \`${c.id}\` · ${c.itemCount} item(s) · started ${slackDate(c.createdAt)} by ${c.createdBy.startsWith('U') || c.createdBy.startsWith('W') ? mention(c.createdBy) : escapeText(c.createdBy)}`,
        ),
      },
    ],
  });
  return {
    text: clip(`Access review ${escapeText(c.name)}: ${t.decided}/${t.total} decided`, 3000),
    blocks,
  };
}
