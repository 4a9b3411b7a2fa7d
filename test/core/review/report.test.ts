import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../../src/core/csv.js';
import { REVIEW_CSV_COLUMNS, reviewReport } from '../../../src/core/review/report.js';
import type { ReviewCampaign, ReviewItem } from '../../../src/core/review/types.js';

const campaign: ReviewCampaign = {
  id: 'rv-0000abcd',
  name: 'Q1 2027, "final"',
  status: 'closed',
  createdAt: '2027-01-01T09:00:00.000Z',
  createdBy: 'cli:alice',
  dueAt: '2027-01-15T09:00:00.000Z',
  accounts: [
    { id: '111111111111', name: 'prod', ok: true, reportGeneratedAt: '2027-01-01T08:59:00.000Z' },
    { id: '222222222222', name: 'broken', ok: false, error: 'AccessDenied: nope' },
  ],
  thresholds: { console_days: 90, access_key_days: 180 },
  itemCount: 5,
  launchedAt: '2027-01-01T09:01:00.000Z',
  closedAt: '2027-01-14T10:00:00.000Z',
  closedReason: 'all-decided',
};

const base = (seq: number, over: Partial<ReviewItem> = {}): ReviewItem => ({
  id: `rv-0000abcd.${seq}`,
  campaignId: 'rv-0000abcd',
  seq,
  account: '111111111111',
  accountName: 'prod',
  principal: { kind: 'iam-user', name: 'bob', email: 'bob@example.com' },
  entitlement: { kind: 'group', name: 'devs' },
  evidence: { lastUsed: '2026-12-30T00:00:00.000Z', lastUsedOf: 'any credential', unused: false },
  reviewer: 'UMGR',
  reviewerSource: 'manager',
  ...over,
});

const items: ReviewItem[] = [
  base(1, {
    entitlement: { kind: 'console', name: 'console' },
    evidence: { lastUsedOf: 'console sign-in', neverUsed: true, unused: true, note: 'n, "q"' },
    decision: {
      outcome: 'keep',
      by: 'UMGR',
      at: '2027-01-02T10:00:00.000Z',
      comment: '=HYPERLINK("http://x")',
    },
  }),
  base(2, {
    entitlement: { kind: 'managed-policy', name: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    decision: { outcome: 'revoke', by: 'UMGR', at: '2027-01-02T10:01:00.000Z', comment: '+1\nsecond line' },
    revocation: {
      status: 'done',
      requestId: 'req-9',
      at: '2027-01-03T00:00:00.000Z',
      detail: 'detached AdministratorAccess',
    },
  }),
  base(3, {
    entitlement: {
      kind: 'access-key',
      name: 'access key 1',
      keySlot: 1,
      keyCreatedAt: '2025-01-01T00:00:00.000Z',
    },
    reviewer: 'UFALL',
    reviewerSource: 'reassigned',
    reassignments: [
      {
        from: 'UMGR',
        to: 'UFALL',
        by: 'UMGR',
        at: '2027-01-02T11:00:00.000Z',
        reason: 'not my report, ask ops',
      },
    ],
    decision: { outcome: 'revoke', by: 'UFALL', at: '2027-01-04T00:00:00.000Z' },
    revocation: { status: 'failed', at: '2027-01-04T00:01:00.000Z', detail: '-no such key' },
  }),
  base(4, {
    principal: { kind: 'identity-center-user', name: '@eve', id: 'u-1' },
    entitlement: { kind: 'permission-set', name: 'Admin', permissionSetArn: 'arn:ps' },
    evidence: {
      unused: false,
      note: 'IAM Identity Center keeps no last sign-in time; see CloudTrail sign-in events',
    },
  }),
  base(5, {
    reviewer: 'UFALL',
    reviewerSource: 'escalated',
    decision: { outcome: 'keep', by: 'UFALL', at: '2027-01-14T09:00:00.000Z', comment: 'still needed' },
  }),
];

describe('reviewReport', () => {
  it('writes one CSV row per item, every column, with the fixed header', () => {
    const { csv } = reviewReport(campaign, items);
    expect(csv.split('\r\n')[0]).toBe(REVIEW_CSV_COLUMNS.join(','));
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(items.length);
    expect(rows[2]).toEqual({
      campaign_id: 'rv-0000abcd',
      campaign_name: 'Q1 2027, "final"',
      item_id: 'rv-0000abcd.3',
      account_id: '111111111111',
      account_name: 'prod',
      principal_kind: 'iam-user',
      principal_name: 'bob',
      principal_email: 'bob@example.com',
      entitlement_kind: 'access-key',
      entitlement_name: 'access key 1',
      last_used: '2026-12-30T00:00:00.000Z',
      last_used_of: 'any credential',
      never_used: 'false',
      unused: 'false',
      evidence_note: '',
      reviewer: 'UFALL',
      reviewer_source: 'reassigned',
      reassignments: 'UMGR → UFALL by UMGR at 2027-01-02T11:00:00.000Z: not my report, ask ops',
      decision: 'revoke',
      decided_by: 'UFALL',
      decided_at: '2027-01-04T00:00:00.000Z',
      comment: '',
      revocation_status: 'failed',
      revocation_detail: "'-no such key",
      revocation_request_id: '',
    });
    expect(rows[0]).toMatchObject({
      never_used: 'true',
      unused: 'true',
      evidence_note: 'n, "q"',
      decision: 'keep',
      comment: `'=HYPERLINK("http://x")`,
    });
    expect(rows[1]).toMatchObject({
      comment: "'+1\nsecond line",
      revocation_status: 'done',
      revocation_detail: 'detached AdministratorAccess',
      revocation_request_id: 'req-9',
    });
    expect(rows[3]).toMatchObject({
      principal_kind: 'identity-center-user',
      principal_name: "'@eve",
      decision: 'undecided',
      decided_by: '',
      evidence_note: expect.stringMatching(/CloudTrail/),
    });
    // Every decision is in the report, with who and when.
    expect(rows.map((r) => `${r.item_id} ${r.decision} ${r.decided_by} ${r.decided_at}`)).toEqual(
      items.map(
        (i) =>
          `${i.id} ${i.decision?.outcome ?? 'undecided'} ${i.decision?.by ?? ''} ${i.decision?.at ?? ''}`,
      ),
    );
  });

  it('defuses formula cells and quotes per RFC 4180', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('x\ny')).toBe('"x\ny"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('+2,3')).toBe(`"'+2,3"`);
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('gives a JSON document with the summary, accounts, thresholds, times and every item', () => {
    const { json } = reviewReport(campaign, items);
    expect(json.campaign).toEqual({
      id: 'rv-0000abcd',
      name: 'Q1 2027, "final"',
      status: 'closed',
      created_at: '2027-01-01T09:00:00.000Z',
      created_by: 'cli:alice',
      due_at: '2027-01-15T09:00:00.000Z',
      launched_at: '2027-01-01T09:01:00.000Z',
      closed_at: '2027-01-14T10:00:00.000Z',
      closed_reason: 'all-decided',
      item_count: 5,
    });
    expect(json.thresholds).toEqual({ console_days: 90, access_key_days: 180 });
    expect(json.accounts).toEqual([
      {
        id: '111111111111',
        name: 'prod',
        ok: true,
        error: null,
        report_generated_at: '2027-01-01T08:59:00.000Z',
      },
      {
        id: '222222222222',
        name: 'broken',
        ok: false,
        error: 'AccessDenied: nope',
        report_generated_at: null,
      },
    ]);
    expect(json.summary).toEqual({
      items: 5,
      decided: 4,
      kept: 2,
      revoked: 2,
      undecided: 1,
      keptUnused: 1,
      revocations: { requested: 0, done: 1, failed: 1, denied: 0, expired: 0 },
    });
    expect(json.complete).toBe(true);
    expect(json.items).toHaveLength(5);
    expect(json.items[2]).toMatchObject({
      id: 'rv-0000abcd.3',
      entitlement: { keySlot: 1 },
      reassignments: [{ from: 'UMGR', to: 'UFALL', reason: 'not my report, ask ops' }],
      decision: { outcome: 'revoke', by: 'UFALL' },
      revocation: { status: 'failed', detail: '-no such key' },
    });
    expect(json.items[3]).toMatchObject({ decision: null, revocation: null, reviewer: 'UMGR' });
    // A store that lost an item shows in the report, not as a smaller campaign.
    expect(reviewReport(campaign, items.slice(1)).json.complete).toBe(false);
  });
});
