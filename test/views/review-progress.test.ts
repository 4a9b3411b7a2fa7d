import { describe, expect, it } from 'vitest';
import type { ReviewCampaign, ReviewerProgress } from '../../src/core/index.js';
import {
  mention,
  PROGRESS_REVIEWERS_SHOWN,
  reviewProgressMessage,
  reviewTotals,
} from '../../src/views/review-progress.js';
import { SLACK, violations } from './slack-limits.js';

const campaign: ReviewCampaign = {
  id: 'rv-0000abcd',
  name: 'Q1 <!channel> & friends',
  status: 'open',
  createdAt: '2027-01-04T09:00:00.000Z',
  createdBy: 'UADMIN',
  dueAt: '2027-01-18T09:00:00.000Z',
  launchedAt: '2027-01-04T09:00:00.000Z',
  accounts: [
    { id: '123456789012', name: 'prod', ok: true },
    { id: '210987654321', name: 'evil <@UEVIL>', ok: false, error: 'AccessDenied <b>' },
  ],
  thresholds: { console_days: 90, access_key_days: 90 },
  itemCount: 0,
};

function reviewers(n: number): ReviewerProgress[] {
  return Array.from({ length: n }, (_, i) => ({
    reviewer: `U${String(i).padStart(10, '0')}`,
    total: 20 + (i % 7),
    decided: i % 5 === 0 ? 20 + (i % 7) : i % 13,
    kept: i % 13,
    revoked: 0,
  }));
}

const all = (blocks: unknown[]) => JSON.stringify(blocks);

describe('review progress message', () => {
  it('shows the totals, the due date and each reviewer, most open items first', () => {
    const progress: ReviewerProgress[] = [
      { reviewer: 'UAAA1', total: 4, decided: 4, kept: 3, revoked: 1 },
      { reviewer: 'UBBB2', total: 5, decided: 1, kept: 1, revoked: 0 },
      { reviewer: '', total: 2, decided: 0, kept: 0, revoked: 0 },
    ];
    const m = reviewProgressMessage({ campaign, progress });
    const text = all(m.blocks);
    expect(text).toContain('*5 of 11* items decided (45%): 4 kept, 1 revoked, 6 undecided');
    expect(text).toContain('<!date^1800262800^');
    expect(text.indexOf('<@UBBB2> 1/5')).toBeLessThan(text.indexOf('<@UAAA1> 4/4'));
    expect(text).toContain(':white_check_mark: <@UAAA1> 4/4');
    expect(text).toContain('*2 item(s) have no reviewer*');
    expect(reviewTotals(progress)).toEqual({ total: 11, decided: 5, kept: 4, revoked: 1, unassigned: 2 });
  });

  it('escapes the campaign name and account texts, and never mentions a non-id', () => {
    const m = reviewProgressMessage({ campaign, progress: reviewers(2) });
    // The header is plain_text, where Slack parses no mention; every mrkdwn text and the fallback are escaped.
    expect(m.blocks[0]?.type).toBe('header');
    const text = all(m.blocks.slice(1)) + m.text;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@UEVIL>');
    expect(text).not.toContain('<b>');
    expect(text).toContain('&lt;!channel&gt; &amp; friends');
    expect(mention('<!here>')).toBe('`&lt;!here&gt;`');
    expect(mention('U012AB3CD')).toBe('<@U012AB3CD>');
  });

  it('stays within Slack limits for 500 reviewers and summarises those not shown', () => {
    for (const n of [0, 1, 149, 150, 151, 500, 5000]) {
      const m = reviewProgressMessage({ campaign, progress: reviewers(n) });
      expect(violations(m.blocks, SLACK.messageBlocks), `${n} reviewers`).toEqual([]);
      expect(m.text.length).toBeLessThanOrEqual(SLACK.messageText);
      const shown = (all(m.blocks).match(/<@U\d{10}>/g) ?? []).length;
      expect(shown).toBe(Math.min(n, PROGRESS_REVIEWERS_SHOWN));
      if (n > PROGRESS_REVIEWERS_SHOWN)
        expect(all(m.blocks)).toContain(`and ${n - PROGRESS_REVIEWERS_SHOWN} more reviewer(s)`);
    }
  });

  it('a long name is clipped, not rejected', () => {
    const m = reviewProgressMessage({ campaign: { ...campaign, name: 'x'.repeat(400) }, progress: [] });
    expect(violations(m.blocks, SLACK.messageBlocks)).toEqual([]);
  });

  it('closed: the reason, the revocations and where the evidence went', () => {
    const m = reviewProgressMessage({
      campaign: {
        ...campaign,
        status: 'closed',
        closedAt: '2027-01-18T09:00:00.000Z',
        closedReason: 'all-decided',
        report: { channel: 'C1', fileIds: ['F1', 'F2'], jiraKey: 'SEC-7' },
      },
      progress: reviewers(3),
      revocations: { done: 2, failed: 1, pending: 0 },
      jiraUrl: 'https://jira.example/browse/SEC-7',
    });
    const text = all(m.blocks);
    expect(text).toMatch(/\*Closed\*.*every item was decided/);
    expect(text).toContain('Revocations: 2 done, 1 failed, 0 pending.');
    expect(text).toContain('<https://jira.example/browse/SEC-7|SEC-7>');
    expect(text).not.toMatch(/<@U\d{10}>/);
  });
});
