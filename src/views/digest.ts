import type { KnownBlock } from '@slack/types';
import type { Severity } from '../config.js';
import {
  type AccountScan,
  countBySeverity,
  DAY_MS,
  type Finding,
  type FindingRecord,
  formatAge,
  resolutionText,
  type ScanResult,
  type Summary,
  staleNote,
} from '../core/index.js';
import type { RemediationAction } from '../store/types.js';
import { escapeText } from './escape.js';
import { clip, HEADER_TEXT_MAX, MESSAGE_MAX_BLOCKS, TEXT_CLIP } from './limits.js';

/**
 * The inactive-user digest (pure: data in, Block Kit out). It fits Slack's limits whatever the number of
 * findings: counts and per-account lines are aggregated and clipped to 3,000 characters per text, and only
 * the top findings get a block each. Each finding block's id is `finding:<Finding_ID>`, the id that also
 * labels its Jira ticket and its CSV/JSON row; the next issue can put "Disable keys / Disable console /
 * Offboard" buttons after each one in an actions block `finding-actions:<Finding_ID>` (button value = the
 * Finding_ID) and still stay under 50 blocks: at most TOP_FINDINGS × 2 + 12.
 */

export const DIGEST_HEADER_BLOCK = 'digest:header';
export const DIGEST_SUMMARY_BLOCK = 'digest:summary';
export const DIGEST_ACCOUNTS_BLOCK = 'digest:accounts';
export const DIGEST_TICKETS_BLOCK = 'digest:tickets';
export const DIGEST_CHANGE_BLOCK = 'digest:change';
/** Resolved findings named one per line in the change block; the rest are in the CSV/JSON. */
export const RESOLVED_LISTED = 10;
export const FINDING_BLOCK_PREFIX = 'finding:';
/** The block of remediation buttons under a finding. */
export const FINDING_ACTIONS_BLOCK_PREFIX = 'finding-actions:';
export const TOP_FINDINGS = 15;

export function findingBlockId(findingId: string): string {
  return `${FINDING_BLOCK_PREFIX}${findingId}`;
}

export function findingActionsBlockId(findingId: string): string {
  return `${FINDING_ACTIONS_BLOCK_PREFIX}${findingId}`;
}

/** Each click asks for an approval; nothing changes in IAM until an approver says yes. */
export const REMEDIATE_ACTIONS = {
  disableKeys: 'remediate_disable_keys',
  disableConsole: 'remediate_disable_console',
  offboard: 'remediate_offboard',
} as const;

export const REMEDIATION_LABEL: Record<RemediationAction, string> = {
  'disable-keys': 'Disable access keys',
  'disable-console': 'Disable console access',
  offboard: 'Offboard',
};

export function remediationBlock(f: Finding): KnownBlock {
  const keyFinding = f.type.startsWith('ACCESS_KEY');
  const fix = keyFinding
    ? { action_id: REMEDIATE_ACTIONS.disableKeys, text: 'Disable keys' }
    : { action_id: REMEDIATE_ACTIONS.disableConsole, text: 'Disable console' };
  return {
    type: 'actions',
    block_id: findingActionsBlockId(f.id),
    elements: [
      { type: 'button', action_id: fix.action_id, text: { type: 'plain_text', text: fix.text }, value: f.id },
      {
        type: 'button',
        action_id: REMEDIATE_ACTIONS.offboard,
        text: { type: 'plain_text', text: 'Offboard' },
        style: 'danger',
        value: f.id,
      },
    ],
  };
}

export interface TicketLink {
  key: string;
  url: string;
}

export interface DigestInput {
  /** identity_center is configured: say plainly that its users are outside this review, and where to look. */
  identityCenter?: boolean;
  result: ScanResult;
  summary: Summary;
  /** Finding_ID → its Jira ticket (new or already open). */
  tickets?: ReadonlyMap<string, TicketLink>;
  ticketNote?: string;
  /** Shown with the file names. */
  files?: string[];
  top?: number;
  /** Adds Disable keys / Disable console / Offboard under each top finding (values: the finding id only). */
  remediation?: boolean;
  /** What changed since the previous digest, from the finding history. */
  change?: DigestChange;
}

export interface DigestChange {
  /** When the previous digest ran; undefined: this is the first digest with a history. */
  since?: string | undefined;
  /** Findings first seen since then (or seen again after resolving). */
  newIds: ReadonlySet<string>;
  /** Findings resolved since then, with why. */
  resolved: readonly FindingRecord[];
  /** Open findings already open at the previous digest. */
  stillOpen: number;
  /** When the longest-open finding was first seen. */
  oldestFirstSeen?: string | undefined;
  /** Finding_ID → the ticket closed because it resolved. */
  closedTickets?: ReadonlyMap<string, TicketLink>;
  /** Why the history could not be read or written: the counts above are then unknown. */
  historyError?: string | undefined;
}

const EMOJI: Record<Severity, string> = {
  HIGH: ':red_circle:',
  MEDIUM: ':large_orange_circle:',
  LOW: ':white_circle:',
};

/** "• ✅ *dave* in production `CONSOLE_NEVER_USED`: IAM user dave no longer exists (deleted)", with its ticket. */
function resolvedLine(r: FindingRecord, closed?: TicketLink): string {
  return `• :white_check_mark: *${escapeText(r.finding.userName)}* in ${escapeText(r.finding.accountName)} \`${r.finding.type}\`: ${escapeText(resolutionText(r))}${closed ? ` · <${closed.url}|${escapeText(closed.key)}> closed` : ''}`;
}

/** Lines until the text budget runs out, then "… and N more". */
function fitLines(lines: string[], budget = TEXT_CLIP, more = (n: number) => `… and ${n} more`): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const tail = more(lines.length - i);
    if (out.length + line.length + 1 + tail.length + 1 > budget) return `${out}${tail}`;
    out += `${line}\n`;
  }
  return out.trimEnd();
}

function ageText(result: ScanResult): string {
  const dates = result.accounts.flatMap((a) => (a.generatedAt ? [a.generatedAt.getTime()] : []));
  if (dates.length === 0) return 'no credential report read';
  const oldest = Math.min(...dates);
  const now = result.analysisDate.getTime();
  return `credential reports generated ${new Date(oldest).toISOString()}${dates.length > 1 ? ' or later' : ''} (oldest ${formatAge(now - oldest)} old)`;
}

export function accountLine(a: AccountScan, now: Date): string {
  const name = `*${escapeText(a.accountName)}* (${a.accountId})`;
  if (!a.ok)
    return `• :warning: ${name}: *not analysed* — ${escapeText(clip(a.error?.message ?? 'unknown error', 300))}`;
  const c = countBySeverity(a.findings);
  const age = a.generatedAt ? formatAge(now.getTime() - a.generatedAt.getTime()) : '?';
  const bad = a.unreadableRows ?? [];
  const unreadable = bad.length
    ? ` · :warning: ${bad.length} unreadable report row(s), users not checked (line ${bad
        .slice(0, 5)
        .map((u) => u.line)
        .join(', ')}${bad.length > 5 ? ', …' : ''})`
    : '';
  return `• ${name}: ${a.userCount.toLocaleString('en')} users · ${c.HIGH} HIGH · ${c.MEDIUM} MEDIUM · ${c.LOW} LOW · report ${age} old${staleNote(a.generatedAt, now)}${unreadable}`;
}

export function findingText(f: Finding, ticket?: TicketLink, isNew = false): string {
  const link = ticket ? ` · <${ticket.url}|${escapeText(ticket.key)}>` : '';
  return clip(
    `${EMOJI[f.severity]} *${f.severity}*${isNew ? ' :new:' : ''} \`${f.type}\` — *${escapeText(f.userName)}* in ${escapeText(f.accountName)} (${f.accountId})${link}\n${escapeText(f.details)}\n_${escapeText(f.id)} · SOC 2 ${f.controls.join(', ')}${f.email ? ` · ${escapeText(f.email)}` : ''}_`,
    TEXT_CLIP,
  );
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

/** "Since the last digest (…): N new · M resolved · K still open (oldest …)", and the resolved, each with why. */
export function changeText(c: DigestChange, now: Date): string {
  if (c.historyError)
    return `:warning: Finding history unavailable, so what changed is unknown: ${escapeText(clip(c.historyError, 300))}`;
  const oldest = c.oldestFirstSeen
    ? ` (oldest first seen ${day(c.oldestFirstSeen)}, ${Math.floor((now.getTime() - Date.parse(c.oldestFirstSeen)) / DAY_MS)} d ago)`
    : '';
  const head = c.since
    ? `*Since the last digest (${day(c.since)}):* :new: ${c.newIds.size.toLocaleString('en')} new · :white_check_mark: ${c.resolved.length.toLocaleString('en')} resolved · ${c.stillOpen.toLocaleString('en')} still open${oldest}`
    : `*First digest with a finding history:* ${c.newIds.size.toLocaleString('en')} open finding(s) recorded${oldest}; the next digest shows what changed.`;
  const lines = c.resolved.map((r) => resolvedLine(r, c.closedTickets?.get(r.finding.id)));
  const shown = fitLines(lines.slice(0, RESOLVED_LISTED), TEXT_CLIP - head.length - 80);
  const more =
    c.resolved.length > RESOLVED_LISTED
      ? `\n… and ${c.resolved.length - RESOLVED_LISTED} more resolved in the CSV/JSON`
      : '';
  return clip(`${head}${shown ? `\n${shown}` : ''}${more}`, TEXT_CLIP);
}

export const DIGEST_IDENTITY_CENTER_BLOCK = 'digest_identity_center';

/**
 * Identity Center users are not in this review, and the digest says why rather than guess: the Identity Store
 * API has no last sign-in time. Their sign-ins are in CloudTrail.
 */
export const IDENTITY_CENTER_NOT_COVERED =
  ':information_source: *IAM Identity Center users are not covered* by this review: the Identity Store API has no last sign-in time. Find their sign-ins in CloudTrail (eventSource `signin.amazonaws.com` or `sso.amazonaws.com`, events such as `Authenticate` and `Federate`), or in the IAM Identity Center console.';

export function digestMessage(input: DigestInput): { text: string; blocks: KnownBlock[] } {
  const { result, summary } = input;
  const top = Math.min(input.top ?? TOP_FINDINGS, TOP_FINDINGS);
  const failed = result.accounts.filter((a) => !a.ok);
  const analysed = result.accounts.length - failed.length;
  const headline = `Inactive IAM users: ${summary.total_findings.toLocaleString('en')} finding(s) across ${analysed} account(s)${failed.length ? `, ${failed.length} not analysed` : ''}`;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: DIGEST_HEADER_BLOCK,
      text: { type: 'plain_text', text: clip('SOC 2 access review: inactive IAM users', HEADER_TEXT_MAX) },
    },
    {
      type: 'section',
      block_id: DIGEST_SUMMARY_BLOCK,
      text: {
        type: 'mrkdwn',
        text: clip(`*${escapeText(headline)}*\n${escapeText(ageText(result))}`, TEXT_CLIP),
      },
      fields: [
        { type: 'mrkdwn', text: `${EMOJI.HIGH} *HIGH*\n${summary.high_severity.toLocaleString('en')}` },
        { type: 'mrkdwn', text: `${EMOJI.MEDIUM} *MEDIUM*\n${summary.medium_severity.toLocaleString('en')}` },
        { type: 'mrkdwn', text: `${EMOJI.LOW} *LOW*\n${summary.low_severity.toLocaleString('en')}` },
        { type: 'mrkdwn', text: `*Scanned*\n${result.analysisDate.toISOString()}` },
      ],
    },
  ];
  if (input.change)
    blocks.push({
      type: 'section',
      block_id: DIGEST_CHANGE_BLOCK,
      text: { type: 'mrkdwn', text: changeText(input.change, result.analysisDate) },
    });
  // Failed accounts first (they need action), then the accounts with the most findings.
  const ordered = [
    ...failed,
    ...result.accounts.filter((a) => a.ok).sort((x, y) => y.findings.length - x.findings.length),
  ];
  blocks.push({
    type: 'section',
    block_id: DIGEST_ACCOUNTS_BLOCK,
    text: {
      type: 'mrkdwn',
      // A section's text may not be empty: a scan over no account says so.
      text:
        fitLines(
          ordered.map((a) => accountLine(a, result.analysisDate)),
          TEXT_CLIP,
          (n) => `… and ${n} more account(s) in the JSON report`,
        ) || 'No account was scanned.',
    },
  });
  if (input.identityCenter)
    blocks.push({
      type: 'context',
      block_id: DIGEST_IDENTITY_CENTER_BLOCK,
      elements: [{ type: 'mrkdwn', text: IDENTITY_CENTER_NOT_COVERED }],
    });
  blocks.push({ type: 'divider' });
  const shown = result.findings.slice(0, top);
  if (shown.length > 0) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `*Top ${shown.length} finding(s)*, HIGH first, longest inactive first` },
      ],
    });
  }
  for (const f of shown) {
    blocks.push({
      type: 'section',
      block_id: findingBlockId(f.id),
      text: {
        type: 'mrkdwn',
        text: findingText(f, input.tickets?.get(f.id), input.change?.newIds.has(f.id) ?? false),
      },
    });
    if (input.remediation) blocks.push(remediationBlock(f));
  }
  const rest = result.findings.length - shown.length;
  const tail: string[] = [];
  if (rest > 0) tail.push(`… and ${rest.toLocaleString('en')} more finding(s) in the attached CSV and JSON.`);
  if (input.files?.length) tail.push(`Files: ${input.files.map(escapeText).join(', ')}`);
  if (tail.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(tail.join('\n'), TEXT_CLIP) }] });
  if (input.ticketNote || input.tickets?.size) {
    blocks.push({
      type: 'context',
      block_id: DIGEST_TICKETS_BLOCK,
      elements: [
        {
          type: 'mrkdwn',
          text: clip(
            escapeText(input.ticketNote ?? `${input.tickets?.size} Jira ticket(s) linked`),
            TEXT_CLIP,
          ),
        },
      ],
    });
  }
  if (summary.total_findings === 0 && failed.length === 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: ':white_check_mark: No inactive console users or access keys.' },
    });
  }
  return { text: clip(headline, TEXT_CLIP), blocks: blocks.slice(0, MESSAGE_MAX_BLOCKS) };
}

/** What the scan changed in the finding history, for `/aws-user inactive`'s answer. */
function historyLines(result: ScanResult, listed = 5): string[] {
  const h = result.history;
  if (!h)
    return result.historyError
      ? [`:warning: Not recorded in the finding history: ${escapeText(clip(result.historyError, 300))}`]
      : [];
  const since = h.previous
    ? `the previous scan (${day(h.previous.at)}, ${h.previous.source})`
    : 'no earlier scan';
  return [
    `:new: ${h.opened.size} new · :white_check_mark: ${h.resolved.length} resolved since ${since}`,
    ...h.resolved.slice(0, listed).map((r) => resolvedLine(r)),
    ...(h.resolved.length > listed ? [`… and ${h.resolved.length - listed} more resolved`] : []),
  ];
}

/** The ephemeral answer to `/aws-user inactive`: the digest's facts as mrkdwn text. */
export function inactiveReplyText(result: ScanResult, summary: Summary, top = 10): string {
  const lines = [
    `*${summary.total_findings.toLocaleString('en')} finding(s)*: ${summary.high_severity} HIGH · ${summary.medium_severity} MEDIUM · ${summary.low_severity} LOW — ${escapeText(ageText(result))}`,
    ...historyLines(result),
    ...result.accounts.map((a) => accountLine(a, result.analysisDate)),
    ...result.findings.slice(0, top).map((f) =>
      findingText(f, undefined, result.history?.opened.has(f.id) ?? false)
        .split('\n')
        .slice(0, 2)
        .join(' — '),
    ),
  ];
  if (result.findings.length > top)
    lines.push(`… and ${result.findings.length - top} more: \`aws-user scan\` writes the CSV/JSON`);
  return fitLines(lines, 3800);
}
