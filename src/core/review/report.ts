import { csvCell } from '../csv.js';
import type { Reassignment, ReviewCampaign, ReviewItem, RevocationStatus } from './types.js';

export { csvCell };

/**
 * The auditor's evidence of a campaign, pure: one row per item, every decision (and every undecided item)
 * with who decided, when, the comment and the revocation's outcome, as CSV (fixed header, RFC 4180, CRLF,
 * formula-like cells defused) and as JSON with a summary block. The same function serves the closing report
 * and `aws-user review export` later.
 */

export const REVIEW_CSV_COLUMNS = [
  'campaign_id',
  'campaign_name',
  'item_id',
  'account_id',
  'account_name',
  'principal_kind',
  'principal_name',
  'principal_email',
  'entitlement_kind',
  'entitlement_name',
  'last_used',
  'last_used_of',
  'never_used',
  'unused',
  'evidence_note',
  'reviewer',
  'reviewer_source',
  'reassignments',
  'decision',
  'decided_by',
  'decided_at',
  'comment',
  'revocation_status',
  'revocation_detail',
  'revocation_request_id',
] as const;

type Column = (typeof REVIEW_CSV_COLUMNS)[number];

/** "U1 → U2 by U1 at 2027-01-03T…: reason; …" */
export function reassignmentsText(rs: readonly Reassignment[] | undefined): string {
  return (rs ?? []).map((r) => `${r.from} → ${r.to} by ${r.by} at ${r.at}: ${r.reason}`).join('; ');
}

function cells(c: ReviewCampaign, i: ReviewItem): Record<Column, string> {
  const e = i.evidence;
  return {
    campaign_id: c.id,
    campaign_name: c.name,
    item_id: i.id,
    account_id: i.account,
    account_name: i.accountName,
    principal_kind: i.principal.kind,
    principal_name: i.principal.name,
    principal_email: i.principal.email ?? '',
    entitlement_kind: i.entitlement.kind,
    entitlement_name: i.entitlement.name,
    last_used: e.lastUsed ?? '',
    last_used_of: e.lastUsedOf ?? '',
    never_used: e.neverUsed ? 'true' : 'false',
    unused: e.unused ? 'true' : 'false',
    evidence_note: e.note ?? '',
    reviewer: i.reviewer ?? '',
    reviewer_source: i.reviewerSource ?? '',
    reassignments: reassignmentsText(i.reassignments),
    decision: i.decision?.outcome ?? 'undecided',
    decided_by: i.decision?.by ?? '',
    decided_at: i.decision?.at ?? '',
    comment: i.decision?.comment ?? '',
    revocation_status: i.revocation?.status ?? '',
    revocation_detail: i.revocation?.detail ?? '',
    revocation_request_id: i.revocation?.requestId ?? '',
  };
}

export function reviewCsv(campaign: ReviewCampaign, items: readonly ReviewItem[]): string {
  const lines = [REVIEW_CSV_COLUMNS.join(',')];
  for (const i of items) {
    const row = cells(campaign, i);
    lines.push(REVIEW_CSV_COLUMNS.map((k) => csvCell(row[k])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface ReviewReportSummary {
  items: number;
  decided: number;
  kept: number;
  revoked: number;
  undecided: number;
  /** Kept although unused beyond the thresholds (each has its comment in the rows). */
  keptUnused: number;
  revocations: Record<RevocationStatus, number>;
}

export function reviewSummary(items: readonly ReviewItem[]): ReviewReportSummary {
  const revocations: Record<RevocationStatus, number> = {
    requested: 0,
    done: 0,
    failed: 0,
    denied: 0,
    expired: 0,
  };
  let kept = 0;
  let revoked = 0;
  let keptUnused = 0;
  for (const i of items) {
    if (i.decision?.outcome === 'keep') {
      kept++;
      if (i.evidence.unused) keptUnused++;
    } else if (i.decision?.outcome === 'revoke') revoked++;
    if (i.revocation) revocations[i.revocation.status]++;
  }
  return {
    items: items.length,
    decided: kept + revoked,
    kept,
    revoked,
    undecided: items.length - kept - revoked,
    keptUnused,
    revocations,
  };
}

export function reviewJson(campaign: ReviewCampaign, items: readonly ReviewItem[]) {
  return {
    campaign: {
      id: campaign.id,
      name: campaign.name,
      status: campaign.status,
      created_at: campaign.createdAt,
      created_by: campaign.createdBy,
      due_at: campaign.dueAt,
      launched_at: campaign.launchedAt ?? null,
      closed_at: campaign.closedAt ?? null,
      closed_reason: campaign.closedReason ?? null,
      item_count: campaign.itemCount,
    },
    thresholds: campaign.thresholds,
    accounts: campaign.accounts.map((a) => ({
      id: a.id,
      name: a.name,
      ok: a.ok,
      error: a.error ?? null,
      report_generated_at: a.reportGeneratedAt ?? null,
    })),
    summary: reviewSummary(items),
    /** false when the store returned fewer (or more) items than the campaign froze: the report says so. */
    complete: items.length === campaign.itemCount,
    items: items.map((i) => ({
      id: i.id,
      seq: i.seq,
      account_id: i.account,
      account_name: i.accountName,
      principal: i.principal,
      entitlement: i.entitlement,
      evidence: i.evidence,
      reviewer: i.reviewer ?? null,
      reviewer_source: i.reviewerSource ?? null,
      reassignments: i.reassignments ?? [],
      decision: i.decision ?? null,
      revocation: i.revocation ?? null,
    })),
  };
}

/** The closing report (and `aws-user review export`): both formats over the same items. */
export function reviewReport(
  campaign: ReviewCampaign,
  items: readonly ReviewItem[],
): { csv: string; json: ReturnType<typeof reviewJson> } {
  return { csv: reviewCsv(campaign, items), json: reviewJson(campaign, items) };
}
