import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import type { AuditInput, CoreOps, ReviewCampaign, ReviewItem } from '../../src/core/index.js';
import type { Deps } from '../../src/deps.js';
import { decideItem, keepAll, reassignItem } from '../../src/flows/review/decide.js';
import { refreshProgress } from '../../src/flows/review/progress.js';
import { sendReviewerDm } from '../../src/flows/review/reviewer-dm.js';
import { requestRevocation } from '../../src/flows/review/revoke.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStore } from '../../src/store/memory.js';
import { REVIEW_ACTIONS } from '../../src/views/review.js';
import { testConfig } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';

// The two contracts other work fills in: stand-ins that record their calls.
vi.mock('../../src/flows/review/revoke.js', () => ({ requestRevocation: vi.fn() }));
vi.mock('../../src/flows/review/progress.js', () => ({ refreshProgress: vi.fn(async () => undefined) }));

const T0 = new Date('2026-03-02T10:00:00Z');
const CID = 'rv-0123abcd';
const REVIEWER = 'UREVIEWER1';
const OTHER = 'UOTHER0001';
const BOB = 'UBOB000001';
const BOT = 'UBOT000001';

let slack: FakeSlack;
let deps: Deps;
let audits: AuditInput[];

function campaign(over: Partial<ReviewCampaign> = {}): ReviewCampaign {
  return {
    id: CID,
    name: 'Q1 review',
    status: 'open',
    createdAt: T0.toISOString(),
    createdBy: 'cli:alice',
    dueAt: '2026-03-15T09:00:00.000Z',
    accounts: [{ id: '111111111111', name: 'prod', ok: true }],
    thresholds: { console_days: 90, access_key_days: 180 },
    itemCount: 4,
    ...over,
  };
}

/** Bob's four items: a group, a policy, unused console access, and (seq 4) Carol's group. */
function items(): ReviewItem[] {
  const base = (seq: number, over: Partial<ReviewItem>): ReviewItem => ({
    id: `${CID}.${seq}`,
    campaignId: CID,
    seq,
    account: '111111111111',
    accountName: 'prod',
    principal: { kind: 'iam-user', name: 'bob', slackUserId: BOB },
    entitlement: { kind: 'group', name: 'Developers' },
    evidence: { lastUsed: '2026-02-20T00:00:00.000Z', lastUsedOf: 'any credential', unused: false },
    reviewer: REVIEWER,
    reviewerSource: 'manager',
    ownerSlackId: BOB,
    ...over,
  });
  return [
    base(1, {}),
    base(2, { entitlement: { kind: 'managed-policy', name: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }),
    base(3, {
      entitlement: { kind: 'console', name: 'console' },
      evidence: { neverUsed: true, lastUsedOf: 'console sign-in', unused: true },
    }),
    base(4, { principal: { kind: 'iam-user', name: 'carol' }, ownerSlackId: undefined }),
  ];
}

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack?.stop();
});

beforeEach(async () => {
  slack.reset();
  slack
    .addUser({ id: REVIEWER, name: 'rev' })
    .addUser({ id: OTHER, name: 'other' })
    .addUser({ id: BOB, name: 'bob' })
    .addUser({ id: BOT, name: 'robot', is_bot: true });
  audits = [];
  const store = new MemoryStore();
  await store.reviews.createCampaign(campaign(), items());
  const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const config = testConfig();
  deps = {
    config: {
      ...config,
      review: {
        fallback_reviewers: ['UFALLBACK1'],
        due_days: 14,
        reminder_days: 3,
        escalation_days: 3,
        revoke_without_approval: false,
      },
    },
    core: {
      audit: async (e: AuditInput) => {
        audits.push(e);
      },
    } as unknown as CoreOps,
    store,
    clock: fixedClock(T0),
    logger: silentLogger(),
    client,
  } as unknown as Deps;
  vi.mocked(requestRevocation).mockReset();
  vi.mocked(refreshProgress).mockClear();
});

const item = (seq: number) => deps.store.reviews.getItem(`${CID}.${seq}`);

describe('decideItem', () => {
  it('keeps: records by the signed user at the clock, audits it, refreshes progress', async () => {
    const out = await decideItem(deps, REVIEWER, `${CID}.1`, 'keep');
    expect(out.status).toBe('done');
    expect((await item(1))?.decision).toEqual({ outcome: 'keep', by: REVIEWER, at: T0.toISOString() });
    expect(audits).toEqual([
      {
        actor: REVIEWER,
        action: 'review.decide',
        account: '111111111111',
        target: 'bob',
        outcome: 'success',
        requestId: `${CID}.1`,
        details: { campaign: CID, item: `${CID}.1`, entitlement: 'group:Developers', outcome: 'keep' },
      },
    ]);
    expect(refreshProgress).toHaveBeenCalledWith(deps, CID);
    expect(requestRevocation).not.toHaveBeenCalled();
  });

  it('revoke files the revocation and shows its line; a failed filing is said, the decision stays', async () => {
    vi.mocked(requestRevocation).mockResolvedValueOnce('Revocation request r-1 is waiting for approval.');
    const out = await decideItem(deps, REVIEWER, `${CID}.2`, 'revoke');
    expect(out.status === 'done' && out.line).toContain('Revocation request r-1 is waiting for approval.');
    expect(requestRevocation).toHaveBeenCalledWith(
      deps,
      expect.objectContaining({ id: `${CID}.2` }),
      REVIEWER,
    );

    vi.mocked(requestRevocation).mockRejectedValueOnce(new Error('approvals channel unreachable'));
    const failed = await decideItem(deps, REVIEWER, `${CID}.1`, 'revoke');
    expect(failed.status === 'done' && failed.line).toMatch(
      /revocation could not be filed: approvals channel unreachable/,
    );
    expect((await item(1))?.decision?.outcome).toBe('revoke');
  });

  it('refuses to keep unused access without a comment (nothing written), and keeps it with one', async () => {
    const out = await decideItem(deps, REVIEWER, `${CID}.3`, 'keep');
    expect(out.status).toBe('needs-comment');
    expect((await item(3))?.decision).toBeUndefined();
    expect(audits).toEqual([]);
    expect((await decideItem(deps, REVIEWER, `${CID}.3`, 'keep', '   ')).status).toBe('needs-comment');
    const kept = await decideItem(deps, REVIEWER, `${CID}.3`, 'keep', 'on-call break-glass login');
    expect(kept.status).toBe('done');
    expect((await item(3))?.decision?.comment).toBe('on-call break-glass login');
    expect(audits[0]?.details).toMatchObject({ outcome: 'keep', comment: 'on-call break-glass login' });
  });

  it('refuses someone who is not the reviewer, naming who is', async () => {
    const out = await decideItem(deps, OTHER, `${CID}.1`, 'revoke');
    expect(out).toMatchObject({
      status: 'refused',
      line: expect.stringMatching(/not the reviewer.*<@UREVIEWER1> is/),
    });
    expect((await item(1))?.decision).toBeUndefined();
    expect(requestRevocation).not.toHaveBeenCalled();
    // Not even a comment modal for someone else's unused item.
    expect((await decideItem(deps, OTHER, `${CID}.3`, 'keep')).status).toBe('refused');
  });

  it('refuses the owner: nobody reviews their own access, even made its reviewer', async () => {
    const out = await decideItem(deps, BOB, `${CID}.1`, 'keep');
    expect(out.status === 'refused' && out.line).toMatch(
      /cannot review your own access; it goes to <@UREVIEWER1>/,
    );
    // Reassigning to the owner is refused, so the owner never becomes the reviewer that way.
    expect(await reassignItem(deps, REVIEWER, `${CID}.1`, BOB, 'he knows')).toMatch(/owns this access/);
    expect((await item(1))?.reviewer).toBe(REVIEWER);
    expect(audits).toEqual([]);
  });

  it('a double click records once and audits once; the second says who decided when', async () => {
    const [a, b] = await Promise.all([
      decideItem(deps, REVIEWER, `${CID}.1`, 'keep'),
      decideItem(deps, REVIEWER, `${CID}.1`, 'keep'),
    ]);
    expect([a.status, b.status].sort()).toEqual(['done', 'refused']);
    const again = await decideItem(deps, REVIEWER, `${CID}.1`, 'revoke');
    expect(again.status === 'refused' && again.line).toMatch(/Already decided: You kept .*bob/);
    expect(audits.filter((e) => e.action === 'review.decide')).toHaveLength(1);
    expect((await item(1))?.decision?.outcome).toBe('keep');
  });

  it('refuses decisions once the campaign is closed', async () => {
    await deps.store.reviews.transitionCampaign(CID, 'open', 'closing');
    const out = await decideItem(deps, REVIEWER, `${CID}.1`, 'keep');
    expect(out.status === 'refused' && out.line).toMatch(/Q1 review is closing: it takes no more decisions/);
  });

  it('redraws the DM page it was clicked in, and only in the clicker’s own DM', async () => {
    const out = await decideItem(deps, REVIEWER, `${CID}.1`, 'keep', undefined, {
      channel: `D${REVIEWER}`,
      ts: '1.2',
      page: 0,
    });
    expect(out.status === 'done' && out.redrawn).toBe(true);
    const update = slack.callsTo('chat.update')[0]?.body ?? {};
    expect(update).toMatchObject({ channel: `D${REVIEWER}`, ts: '1.2' });
    const drawn = JSON.stringify(update.blocks);
    expect(drawn).toContain('You kept');
    expect(drawn).not.toContain(`"${CID}.1"`);
    expect(drawn).toContain(`"${CID}.2"`);
    // A crafted payload naming another channel: decided, but no message elsewhere is overwritten.
    const crafted = await decideItem(deps, REVIEWER, `${CID}.2`, 'keep', undefined, {
      channel: 'C0APPROVALS',
      ts: '9.9',
      page: 0,
    });
    expect(crafted.status === 'done' && crafted.redrawn).toBe(false);
    expect(slack.callsTo('chat.update')).toHaveLength(1);
    // A stale page (its item decided meanwhile) is redrawn with the answer rather than left offering it.
    const stale = await decideItem(deps, REVIEWER, `${CID}.1`, 'revoke', undefined, {
      channel: `D${REVIEWER}`,
      ts: '1.2',
      page: 0,
    });
    expect(stale).toMatchObject({ status: 'refused', redrawn: true });
    expect(JSON.stringify(slack.callsTo('chat.update')[1]?.body.blocks)).toContain('Already decided');
    // A non-reviewer's refusal redraws nothing.
    // Someone else's item clicked in one's own DM redraws only one's own items there (none here).
    const other = await decideItem(deps, OTHER, `${CID}.4`, 'keep', undefined, {
      channel: `D${OTHER}`,
      ts: '3.3',
      page: 0,
    });
    expect(other).toMatchObject({ status: 'refused', reason: 'not-reviewer', redrawn: true });
    const own = JSON.stringify(slack.callsTo('chat.update')[2]?.body);
    expect(own).toContain('You are not the reviewer');
    expect(own).not.toContain(REVIEW_ACTIONS.keep);
    // A closed campaign's page is not redrawn: its buttons are answered one by one.
    await deps.store.reviews.transitionCampaign(CID, 'open', 'closing');
    const closed = await decideItem(deps, REVIEWER, `${CID}.3`, 'keep', 'x', {
      channel: `D${REVIEWER}`,
      ts: '1.2',
      page: 0,
    });
    expect(closed).toMatchObject({ status: 'refused', reason: 'closed', redrawn: false });
    expect(slack.callsTo('chat.update')).toHaveLength(3);
  });
});

describe('keepAll', () => {
  it('keeps every item of that person the user reviews, except unused ones, which it lists', async () => {
    const out = await keepAll(deps, REVIEWER, `${CID}.2`);
    expect(out.line).toMatch(/Kept 2 item\(s\) of \*bob\*/);
    expect(out.line).toMatch(/Not kept, unused.*Console access/);
    expect((await item(1))?.decision?.outcome).toBe('keep');
    expect((await item(2))?.decision?.outcome).toBe('keep');
    expect((await item(3))?.decision).toBeUndefined();
    expect((await item(4))?.decision).toBeUndefined(); // carol's, another person
    expect(audits).toHaveLength(2);
  });

  it('refuses someone else and the owner', async () => {
    expect((await keepAll(deps, OTHER, `${CID}.1`)).line).toMatch(/not the reviewer/);
    expect((await keepAll(deps, BOB, `${CID}.1`)).line).toMatch(/your own access/);
    expect(audits).toEqual([]);
  });
});

describe('reassignItem', () => {
  it('moves the item, audits it, DMs the new reviewer their page and refreshes progress', async () => {
    const line = await reassignItem(deps, REVIEWER, `${CID}.4`, OTHER, 'Carol reports to Other');
    expect(line).toMatch(/Handed .*carol.* to <@UOTHER0001>/);
    const moved = await item(4);
    expect(moved?.reviewer).toBe(OTHER);
    expect(moved?.reviewerSource).toBe('reassigned');
    expect(audits).toMatchObject([
      {
        action: 'review.reassign',
        actor: REVIEWER,
        details: { to: OTHER, reason: 'Carol reports to Other' },
      },
    ]);
    const dm = slack.callsTo('chat.postMessage').find((c) => c.body.channel === `D${OTHER}`);
    expect(JSON.stringify(dm?.body.blocks)).toContain(`"${CID}.4"`);
    expect(JSON.stringify(dm?.body.blocks)).toContain('handed to you');
    expect(refreshProgress).toHaveBeenCalledWith(deps, CID);
    // The old reviewer can no longer decide it; the new one can.
    expect((await decideItem(deps, REVIEWER, `${CID}.4`, 'keep')).status).toBe('refused');
    expect((await decideItem(deps, OTHER, `${CID}.4`, 'keep')).status).toBe('done');
  });

  it('refuses a bot, oneself, and someone who is not the reviewer', async () => {
    expect(await reassignItem(deps, REVIEWER, `${CID}.4`, BOT, 'r')).toMatch(/bot cannot review/);
    expect(await reassignItem(deps, REVIEWER, `${CID}.4`, REVIEWER, 'r')).toMatch(/already yours/);
    expect(await reassignItem(deps, OTHER, `${CID}.4`, OTHER, 'r')).toMatch(/not the reviewer/);
    expect((await item(4))?.reviewer).toBe(REVIEWER);
    expect(audits).toEqual([]);
  });
});

describe('sendReviewerDm', () => {
  it('DMs the first page of open items with the buttons, and nothing when all are decided', async () => {
    expect(await sendReviewerDm(deps, campaign(), REVIEWER, 'launch')).toBe(true);
    const dm = slack.callsTo('chat.postMessage')[0]?.body ?? {};
    expect(dm.channel).toBe(`D${REVIEWER}`);
    expect(String(dm.text)).toMatch(/4 of 4 item\(s\) left/);
    expect(JSON.stringify(dm.blocks)).toContain(REVIEW_ACTIONS.keepAll);
    expect(await sendReviewerDm(deps, campaign(), OTHER, 'reminder')).toBe(true);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('returns false, not a throw, when Slack fails', async () => {
    slack.on('conversations.open', () => ({ ok: false, error: 'user_not_found' }));
    expect(await sendReviewerDm(deps, campaign(), REVIEWER, 'launch')).toBe(false);
    slack.off('conversations.open');
  });
});
