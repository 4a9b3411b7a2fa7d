import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReviewCampaign, ReviewItem } from '../../src/core/index.js';
import { appHomeView } from '../../src/views/app-home.js';
import {
  commentModal,
  HOME_ITEMS_MAX,
  HOME_ITEMS_PER_CAMPAIGN,
  HOME_REVIEW_MAX,
  homeReviewBlocks,
  pageCount,
  pageOfBlocks,
  parsePageValue,
  REVIEW_ACTIONS,
  REVIEW_PAGE_SIZE,
  reassignModal,
  reviewerDm,
} from '../../src/views/review.js';
import { homeViolations, messageViolations, modalViolations } from './slack-limits.js';

const campaign: Pick<ReviewCampaign, 'id' | 'name' | 'dueAt' | 'thresholds'> = {
  id: 'rv-0123abcd',
  name: 'Q1 2026',
  dueAt: '2026-03-15T09:00:00.000Z',
  thresholds: { console_days: 90, access_key_days: 180 },
};

function item(seq: number, over: Partial<ReviewItem> = {}): ReviewItem {
  return {
    id: `${campaign.id}.${seq}`,
    campaignId: campaign.id,
    seq,
    account: '111111111111',
    accountName: 'prod',
    principal: { kind: 'iam-user', name: 'bob', email: 'bob@example.com' },
    entitlement: { kind: 'group', name: 'Developers' },
    evidence: { lastUsed: '2026-02-01T00:00:00.000Z', lastUsedOf: 'any credential', unused: false },
    reviewer: 'UREVIEWER1',
    ...over,
  };
}

type Json = Record<string, unknown>;
/** Every interactive element (buttons, accessories) in the blocks. */
function buttons(blocks: readonly unknown[]): Json[] {
  const out: Json[] = [];
  for (const b of blocks as Json[]) {
    if (b.accessory) out.push(b.accessory as Json);
    for (const e of (b.elements as Json[] | undefined) ?? []) if (e.type === 'button') out.push(e);
  }
  return out;
}

describe('reviewer DM', () => {
  it('draws a small page exactly', () => {
    const unused = item(2, {
      entitlement: { kind: 'console', name: 'console' },
      evidence: {
        neverUsed: true,
        lastUsedOf: 'console sign-in',
        createdAt: '2025-01-01T00:00:00.000Z',
        unused: true,
      },
    });
    const m = reviewerDm({ campaign, open: [item(1), unused], total: 3, page: 0, intro: 'Hello.' });
    expect(m.text).toBe('Hello. Access review Q1 2026: 2 of 3 item(s) left to review, due 2026-03-15.');
    const keepBtn = (id: string) => ({
      type: 'button',
      action_id: REVIEW_ACTIONS.keep,
      text: { type: 'plain_text', text: 'Keep' },
      value: id,
      style: 'primary',
    });
    expect(m.blocks).toEqual([
      {
        type: 'section',
        block_id: 'review_page_0',
        text: {
          type: 'mrkdwn',
          text: 'Hello.\n*Access review Q1 2026*: due <!date^1773565200^{date_short_pretty} {time}|2026-03-15T09:00:00.000Z>.\n*2* of your 3 item(s) left to review. For each: *Keep* if the person still needs it, *Revoke* if not, *Not my report* to hand it to the right reviewer.',
        },
      },
      { type: 'divider' },
      {
        type: 'section',
        block_id: 'review_person_rv-0123abcd.1',
        text: {
          type: 'mrkdwn',
          text: ':bust_in_silhouette: *bob* (bob@example.com), IAM user in prod (111111111111)',
        },
        accessory: {
          type: 'button',
          action_id: REVIEW_ACTIONS.keepAll,
          text: { type: 'plain_text', text: 'Keep all' },
          value: 'rv-0123abcd.1',
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Group `Developers`*\nlast used <!date^1769904000^{date_short_pretty} {time}|2026-02-01T00:00:00.000Z> (any credential)',
        },
      },
      {
        type: 'actions',
        block_id: 'review_item_rv-0123abcd.1',
        elements: [
          keepBtn('rv-0123abcd.1'),
          expect.objectContaining({
            action_id: REVIEW_ACTIONS.revoke,
            value: 'rv-0123abcd.1',
            style: 'danger',
          }),
          {
            type: 'button',
            action_id: REVIEW_ACTIONS.notMine,
            text: { type: 'plain_text', text: 'Not my report' },
            value: 'rv-0123abcd.1',
          },
        ],
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Console access `console`*\nnever used (console sign-in) · created <!date^1735689600^{date_short_pretty} {time}|2025-01-01T00:00:00.000Z>\n:warning: Unused beyond 90 days: keeping it needs a comment',
        },
      },
      expect.objectContaining({ type: 'actions', block_id: 'review_item_rv-0123abcd.2' }),
    ]);
    const revoke = buttons(m.blocks).find((b) => b.action_id === REVIEW_ACTIONS.revoke) as Json;
    expect(revoke.confirm).toMatchObject({ confirm: { text: 'Revoke' }, deny: { text: 'Cancel' } });
    expect(pageOfBlocks(m.blocks)).toBe(0);
  });

  it('escapes user text: a tag value cannot mention the channel', () => {
    const m = reviewerDm({
      campaign: { ...campaign, name: '<!channel> review' },
      open: [item(1, { principal: { kind: 'iam-user', name: 'x', email: '<!here>@x' } })],
      total: 1,
      page: 0,
    });
    expect(JSON.stringify(m)).not.toMatch(/<!channel>|<!here>/);
  });

  it('says all done when nothing is left, without buttons', () => {
    const m = reviewerDm({ campaign, open: [], total: 4, page: 3 });
    expect(m.blocks).toHaveLength(1);
    expect(JSON.stringify(m.blocks)).toContain('You have decided all 4 of your item(s)');
  });

  it('pages: the pager carries campaign id and page, and the summary says which page it is', () => {
    const open = Array.from({ length: 25 }, (_, i) => item(i + 1));
    const p1 = reviewerDm({ campaign, open, total: 25, page: 1 });
    const nav = buttons(p1.blocks).filter((b) => String(b.action_id).startsWith('review_page_'));
    expect(nav.map((b) => b.value)).toEqual(['rv-0123abcd:0', 'rv-0123abcd:2']);
    expect(pageOfBlocks(p1.blocks)).toBe(1);
    expect(parsePageValue('rv-0123abcd:2')).toEqual({ campaignId: 'rv-0123abcd', page: 2 });
    expect(parsePageValue('rv-0123abcd:2:x')).toBeUndefined();
    // Past the last page (items were decided meanwhile) clamps to the last one.
    const last = reviewerDm({ campaign, open, total: 25, page: 99 });
    expect(pageOfBlocks(last.blocks)).toBe(2);
    expect(buttons(last.blocks).filter((b) => b.action_id === REVIEW_ACTIONS.keep)).toHaveLength(5);
  });

  it('stays within Slack limits on every page of a 500-item reviewer with the longest names', () => {
    const kinds = [
      'group',
      'managed-policy',
      'inline-policy',
      'console',
      'access-key',
      'permission-set',
    ] as const;
    const gen = fc.record({
      name: fc.string({ minLength: 1, maxLength: 64 }),
      email: fc.string({ minLength: 0, maxLength: 256 }),
      policy: fc.string({ minLength: 1, maxLength: 128 }),
      account: fc.string({ minLength: 1, maxLength: 256 }),
      note: fc.string({ maxLength: 256 }),
      unused: fc.boolean(),
      person: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(gen, { minLength: 500, maxLength: 500 }),
        fc.string({ minLength: 1, maxLength: 256 }),
        fc.option(fc.string({ maxLength: 3000 })),
        (rows, campaignName, notice) => {
          const open = rows.map((r, i) =>
            item(i + 1, {
              accountName: r.account,
              principal: {
                kind: 'iam-user',
                // Person changes every item in the worst case: one person header per item.
                name: `${r.name}${r.person === 0 ? i : ''}`.slice(0, 64),
                email: r.email,
                managerEmail: r.email,
              },
              entitlement: {
                kind: kinds[i % kinds.length] as (typeof kinds)[number],
                name:
                  i % 6 === 1 ? `arn:aws:iam::111111111111:policy/${'p'.repeat(100)}/${r.policy}` : r.policy,
              },
              evidence: {
                lastUsed: '2026-01-01T00:00:00.000Z',
                lastUsedOf: r.note,
                note: r.note,
                unused: r.unused,
              },
            }),
          );
          const pages = pageCount(open.length);
          expect(pages).toBe(Math.ceil(500 / REVIEW_PAGE_SIZE));
          for (let page = 0; page < pages; page++) {
            const m = reviewerDm({
              campaign: { ...campaign, name: campaignName },
              open,
              total: 600,
              page,
              intro: 'x'.repeat(600),
              ...(notice ? { notice } : {}),
            });
            expect(messageViolations(m)).toEqual([]);
            expect(m.blocks.length).toBeLessThanOrEqual(50);
            for (const b of buttons(m.blocks)) {
              expect(String(b.value).length).toBeLessThanOrEqual(150);
              const confirm = b.confirm as { text?: { text: string } } | undefined;
              if (confirm) expect(confirm.text?.text.length).toBeLessThanOrEqual(300);
            }
            expect(buttons(m.blocks).filter((b) => b.action_id === REVIEW_ACTIONS.keep)).toHaveLength(
              REVIEW_PAGE_SIZE,
            );
          }
        },
      ),
      { numRuns: 5 },
    );
  });
});

describe('review modals', () => {
  it('carry only the item id and stay within limits with long names', () => {
    const long = item(7, {
      accountName: 'a'.repeat(256),
      principal: { kind: 'iam-user', name: 'n'.repeat(64), email: 'e'.repeat(256) },
      entitlement: { kind: 'inline-policy', name: 'p'.repeat(128) },
      evidence: { neverUsed: true, note: 'x'.repeat(256), unused: true },
    });
    const c = commentModal(long, campaign.thresholds);
    const r = reassignModal(long.id);
    for (const m of [c, r]) {
      expect(m.private_metadata).toBe(long.id);
      expect(modalViolations(m as Parameters<typeof modalViolations>[0])).toEqual([]);
    }
    expect(JSON.stringify(c.blocks)).toContain('needs a comment');
    expect(JSON.stringify(r.blocks)).toContain('users_select');
  });
});

describe('App Home review section', () => {
  const review = (i: number) => ({
    campaignId: `rv-0000000${i % 10}`,
    name: `${'n'.repeat(250)}${i}`,
    dueAt: '2026-03-15T09:00:00.000Z',
    open: 3,
  });

  it('is empty with nothing to review, and capped with many campaigns', () => {
    expect(homeReviewBlocks([{ ...review(1), open: 0 }])).toEqual([]);
    const blocks = homeReviewBlocks(Array.from({ length: 9 }, (_, i) => review(i)));
    expect(blocks).toHaveLength(2 + HOME_REVIEW_MAX + 1);
    expect(JSON.stringify(blocks)).toContain('…and 5 more campaigns');
    expect(buttons(blocks).map((b) => b.value)).toEqual([
      'rv-00000000',
      'rv-00000001',
      'rv-00000002',
      'rv-00000003',
    ]);
  });

  const withItems = (i: number) => ({
    ...review(i),
    open: 5,
    thresholds: campaign.thresholds,
    items: Array.from({ length: 5 }, (_, k) =>
      item(i * 10 + k, {
        campaignId: review(i).campaignId,
        id: `${review(i).campaignId}.${k}`,
        principal: { kind: 'iam-user', name: 'p'.repeat(200), email: `${'e'.repeat(250)}@x.io` },
        entitlement: { kind: 'console', name: 'console' },
        evidence: { neverUsed: true, unused: true, note: 'n'.repeat(400) },
      }),
    ),
  });

  it('shows the first open items with the DM’s buttons, 3 per campaign and 6 in all', () => {
    const blocks = homeReviewBlocks(Array.from({ length: 9 }, (_, i) => withItems(i)));
    expect(blocks.length).toBeLessThanOrEqual(20);
    const items = buttons(blocks).filter((b) => b.action_id === REVIEW_ACTIONS.keep);
    expect(items).toHaveLength(HOME_ITEMS_MAX);
    expect(items.map((b) => b.value)).toEqual([
      'rv-00000000.0',
      'rv-00000000.1',
      'rv-00000000.2',
      'rv-00000001.0',
      'rv-00000001.1',
      'rv-00000001.2',
    ]);
    expect(HOME_ITEMS_PER_CAMPAIGN).toBe(3);
    // Same action ids as the DM, values are the item id only, Revoke asks first.
    const first = buttons(blocks).filter((b) => String(b.value) === 'rv-00000000.0');
    expect(first.map((b) => b.action_id)).toEqual([
      REVIEW_ACTIONS.keep,
      REVIEW_ACTIONS.revoke,
      REVIEW_ACTIONS.notMine,
    ]);
    expect(first[1]?.confirm).toBeDefined();
    const text = JSON.stringify(blocks);
    expect(text).toContain('Unused beyond 90 days');
    expect(text).toContain('in prod (111111111111)');
    // Every campaign still has its line and Show my items for the rest.
    expect(buttons(blocks).filter((b) => b.action_id === REVIEW_ACTIONS.homeShow)).toHaveLength(
      HOME_REVIEW_MAX,
    );
    expect(homeViolations({ type: 'home', blocks } as Parameters<typeof homeViolations>[0])).toEqual([]);
  });

  it('gives items only the blocks it is given, never the campaign lines', () => {
    const reviews = Array.from({ length: 2 }, (_, i) => withItems(i));
    const keeps = (budget: number) =>
      buttons(homeReviewBlocks(reviews, budget)).filter((b) => b.action_id === REVIEW_ACTIONS.keep).length;
    expect(keeps(4)).toBe(0);
    expect(keeps(4 + 3)).toBe(1);
    expect(keeps(4 + 8)).toBe(4);
    expect(homeReviewBlocks(reviews, 4 + 8)).toHaveLength(4 + 8);
    expect(homeReviewBlocks(reviews, 0)).toHaveLength(4);
  });

  it('fits Home with every other list at its cap, footer included', () => {
    const users = Array.from({ length: 30 }, (_, i) => ({
      account: '111111111111',
      accountName: 'prod',
      username: `u${i}`,
      mfaEnabled: false,
      keys: [{ id: 'AKIA0000000000000000', status: 'Active', ageDays: 400 }],
    }));
    const grants = Array.from({ length: 30 }, (_, i) => ({
      id: `g${i}`,
      kind: 'group',
      account: '111111111111',
      username: 'u',
      target: 'Admins',
      expiresAt: '2026-03-15T09:00:00.000Z',
      breakGlass: false,
    }));
    const pending = Array.from({ length: 30 }, (_, i) => ({
      id: `p${i}`,
      summary: 's',
      requester: 'U1',
      expiresAt: '2026-03-15T09:00:00.000Z',
    }));
    const v = appHomeView({
      role: 'admin',
      usage: ['request', 'create'],
      users,
      grants: grants as unknown as Parameters<typeof appHomeView>[0]['grants'],
      pending,
      trend: { text: 't', image: { fileId: 'F1', alt: 'a' } },
      failedAccounts: ['x'],
      reviews: Array.from({ length: 9 }, (_, i) => withItems(i)),
      maxKeyAgeDays: 90,
    });
    expect(homeViolations(v)).toEqual([]);
    expect(v.blocks.length).toBeLessThanOrEqual(100);
    expect(JSON.stringify(v.blocks.at(-1))).toContain('/aws-user request');
    expect(JSON.stringify(v.blocks)).toContain('Access reviews');
    expect(JSON.stringify(v.blocks)).toContain('…and 5 more campaigns');
    // With less of the rest, the same reviews show their items, still within Home's 100.
    const light = appHomeView({
      role: 'admin',
      usage: ['request', 'create'],
      users: users.slice(0, 15),
      grants: grants.slice(0, 15) as unknown as Parameters<typeof appHomeView>[0]['grants'],
      pending: pending.slice(0, 5),
      reviews: Array.from({ length: 9 }, (_, i) => withItems(i)),
      maxKeyAgeDays: 90,
    });
    expect(homeViolations(light)).toEqual([]);
    expect(buttons(light.blocks).filter((b) => b.action_id === REVIEW_ACTIONS.keep)).toHaveLength(
      HOME_ITEMS_MAX,
    );
    expect(JSON.stringify(light.blocks.at(-1))).toContain('/aws-user request');
  });
});
