import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  CampaignStatus,
  ReviewCampaign,
  ReviewDecision,
  ReviewItem,
} from '../../src/core/review/types.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { redisStore, sqliteStore, tempDataDir } from '../helpers/store.js';

const T = (day: number, hour = 9) => new Date(Date.UTC(2026, 2, day, hour)).toISOString();

function campaign(id: string, over: Partial<ReviewCampaign> = {}): ReviewCampaign {
  return {
    id,
    name: `Q1 review ${id}`,
    status: 'open',
    createdAt: T(1),
    createdBy: 'cli:alice',
    dueAt: T(15),
    accounts: [{ id: '111111111111', name: 'prod', ok: true, reportGeneratedAt: T(1, 8) }],
    thresholds: { console_days: 90, access_key_days: 180 },
    itemCount: 0,
    ...over,
  };
}

/** `n` items; item k (1-based) goes to reviewer `reviewers[(k - 1) % reviewers.length]` when given. */
function items(campaignId: string, n: number, reviewers: string[] = []): ReviewItem[] {
  return Array.from({ length: n }, (_, j) => {
    const seq = j + 1;
    const reviewer = reviewers.length > 0 ? reviewers[j % reviewers.length] : undefined;
    return {
      id: `${campaignId}.${seq}`,
      campaignId,
      seq,
      account: '111111111111',
      accountName: 'prod',
      principal: { kind: 'iam-user', name: `user-${seq}`, email: `user-${seq}@example.com` },
      entitlement: { kind: 'group', name: `group-${seq % 7}` },
      evidence: { lastUsed: T(1, 1), lastUsedOf: 'any credential', unused: seq % 3 === 0 },
      ...(reviewer ? { reviewer, reviewerSource: 'manager' as const } : {}),
    };
  });
}

const decision = (by: string, outcome: ReviewDecision['outcome'] = 'keep'): ReviewDecision => ({
  outcome,
  by,
  at: T(2),
  comment: 'still on the team — “needed”',
});

/** Creates a campaign with items 1..n assigned round-robin to the reviewers, owners set where given. */
async function seed(
  s: Store,
  id: string,
  n: number,
  reviewers: string[],
  over: Partial<ReviewCampaign> = {},
): Promise<void> {
  await s.reviews.createCampaign(campaign(id, { itemCount: n, ...over }), items(id, n, reviewers));
}

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/**
 * The access-review store contract (core/review/types.ts) over every store, with two "replicas" where the
 * store can have them (two SQLite connections on one file, two Redis clients on one prefix): each decision
 * is recorded exactly once, by the current reviewer of an undecided item of an open campaign, never by the
 * owner, and the reviewer indexes follow every assignment.
 */
describe.each([
  ['memory', async () => [new MemoryStore() as Store]],
  [
    'sqlite',
    async () => {
      const path = join(tempDataDir(), 'aws-user.db');
      return [sqliteStore({ path }) as Store, sqliteStore({ path }) as Store];
    },
  ],
  [
    'redis',
    async () => {
      const prefix = `t:rev:${Math.random().toString(36).slice(2)}:`;
      return [(await redisStore(prefix)) as Store, (await redisStore(prefix)) as Store];
    },
  ],
])('%s review store', (_name, make) => {
  async function replicas(): Promise<[Store, Store]> {
    const made = await make();
    stores.push(...made);
    return [made[0] as Store, (made[1] ?? made[0]) as Store];
  }

  it('reads back a campaign and its items in seq order, by reviewer and open only', async () => {
    const [a, b] = await replicas();
    const c = campaign('rv-00000001', { itemCount: 5, message: { channel: 'C1', ts: '1.2' } });
    const all = items(c.id, 5, ['U1', 'U2']);
    // Written out of order: the store answers in seq order.
    await a.reviews.createCampaign(c, [...all].reverse());
    expect(await b.reviews.getCampaign(c.id)).toEqual(c);
    expect(await b.reviews.getCampaign('rv-missing')).toBeUndefined();
    expect(await b.reviews.items(c.id)).toEqual(all);
    expect((await b.reviews.items(c.id, { reviewer: 'U1' })).map((i) => i.seq)).toEqual([1, 3, 5]);
    expect(await b.reviews.getItem(`${c.id}.4`)).toEqual(all[3]);
    expect(await b.reviews.getItem(`${c.id}.9`)).toBeUndefined();
    expect(await b.reviews.items('rv-other')).toEqual([]);

    expect((await a.reviews.decide(`${c.id}.3`, decision('U1'))).ok).toBe(true);
    expect((await b.reviews.items(c.id, { open: true })).map((i) => i.seq)).toEqual([1, 2, 4, 5]);
    expect((await b.reviews.items(c.id, { reviewer: 'U1', open: true })).map((i) => i.seq)).toEqual([1, 5]);
    expect(await b.reviews.items(c.id, { reviewer: 'U9' })).toEqual([]);
  });

  it('keeps an empty account list and a report without files as arrays through a status change', async () => {
    const [a] = await replicas();
    await a.reviews.createCampaign(campaign('rv-00000002', { accounts: [] }), []);
    expect(
      await a.reviews.transitionCampaign('rv-00000002', 'open', 'closing', {
        report: { channel: 'C1', fileIds: [] },
      }),
    ).toBe(true);
    expect(await a.reviews.getCampaign('rv-00000002')).toMatchObject({
      status: 'closing',
      accounts: [],
      report: { channel: 'C1', fileIds: [] },
    });
  });

  it('writes a campaign larger than one batch whole, the campaign after its items', async () => {
    const [a, b] = await replicas();
    const id = 'rv-0000000b';
    const write = seed(a, id, 2_500, ['U1', 'U2', 'U3']);
    // A reader that sees the campaign sees every item (it may see items before the campaign).
    const seen = await b.reviews.getCampaign(id);
    if (seen) expect(await b.reviews.items(id)).toHaveLength(2_500);
    await write;
    const got = await b.reviews.items(id);
    expect(got).toHaveLength(2_500);
    expect(got.map((i) => i.seq)).toEqual(Array.from({ length: 2_500 }, (_, j) => j + 1));
    expect(await b.reviews.items(id, { reviewer: 'U2' })).toHaveLength(833);
    expect(await b.reviews.progress(id)).toEqual([
      { reviewer: 'U1', total: 834, decided: 0, kept: 0, revoked: 0 },
      { reviewer: 'U2', total: 833, decided: 0, kept: 0, revoked: 0 },
      { reviewer: 'U3', total: 833, decided: 0, kept: 0, revoked: 0 },
    ]);
  });

  it('lists campaigns newest first, by status, up to a limit', async () => {
    const [a, b] = await replicas();
    const made: [string, number, CampaignStatus][] = [
      ['rv-0000000c', 3, 'closed'],
      ['rv-0000000a', 1, 'open'],
      ['rv-0000000d', 4, 'created'],
      ['rv-0000000b', 2, 'open'],
    ];
    for (const [id, day, status] of made)
      await a.reviews.createCampaign(campaign(id, { createdAt: T(day), status }), []);
    // Two at one instant: by id, descending, in every store.
    await a.reviews.createCampaign(campaign('rv-0000000e', { createdAt: T(2) }), []);
    const ids = (cs: ReviewCampaign[]) => cs.map((c) => c.id);
    expect(ids(await b.reviews.listCampaigns())).toEqual([
      'rv-0000000d',
      'rv-0000000c',
      'rv-0000000e',
      'rv-0000000b',
      'rv-0000000a',
    ]);
    expect(ids(await b.reviews.listCampaigns({ status: ['open'] }))).toEqual([
      'rv-0000000e',
      'rv-0000000b',
      'rv-0000000a',
    ]);
    expect(ids(await b.reviews.listCampaigns({ status: ['open', 'created'], limit: 2 }))).toEqual([
      'rv-0000000d',
      'rv-0000000e',
    ]);
    expect(ids(await b.reviews.listCampaigns({ limit: 1 }))).toEqual(['rv-0000000d']);
    expect(await b.reviews.listCampaigns({ status: ['closing'] })).toEqual([]);
  });

  it('moves a campaign with a compare-and-set: of two racing callers exactly one wins', async () => {
    const [a, b] = await replicas();
    await seed(a, 'rv-00000010', 2, ['U1'], { status: 'created' });
    expect(await a.reviews.transitionCampaign('rv-00000010', 'open', 'closing')).toBe(false);
    expect(await a.reviews.transitionCampaign('rv-missing', 'created', 'open')).toBe(false);
    expect(
      await a.reviews.transitionCampaign('rv-00000010', 'created', 'open', { launchedAt: T(1, 10) }),
    ).toBe(true);
    const race = await Promise.all([
      a.reviews.transitionCampaign('rv-00000010', 'open', 'closing', { closedReason: 'due' }),
      b.reviews.transitionCampaign('rv-00000010', 'open', 'closing', { closedReason: 'all-decided' }),
      a.reviews.transitionCampaign('rv-00000010', 'open', 'closing', { closedReason: 'closed-by-admin' }),
    ]);
    expect(race.filter(Boolean)).toHaveLength(1);
    const winner = (['due', 'all-decided', 'closed-by-admin'] as const)[race.indexOf(true)];
    expect(await b.reviews.getCampaign('rv-00000010')).toMatchObject({
      status: 'closing',
      launchedAt: T(1, 10),
      closedReason: winner,
    });

    await b.reviews.updateCampaign('rv-00000010', {
      message: { channel: 'C9', ts: '9.9' },
      report: { channel: 'C9', fileIds: ['F1'] },
    });
    await b.reviews.updateCampaign('rv-missing', { message: { channel: 'C9', ts: '9.9' } });
    expect(await a.reviews.getCampaign('rv-missing')).toBeUndefined();
    const after = await a.reviews.getCampaign('rv-00000010');
    expect(after).toMatchObject({ status: 'closing', message: { channel: 'C9', ts: '9.9' } });
    expect(after?.report).toEqual({ channel: 'C9', fileIds: ['F1'] });
  });

  it('assigns reviewers to undecided items only, recording the owner, and keeps the reviewer index right', async () => {
    const [a, b] = await replicas();
    const id = 'rv-00000020';
    await a.reviews.createCampaign(campaign(id, { itemCount: 4 }), items(id, 4));
    expect(
      await a.reviews.assignReviewers([
        { itemId: `${id}.1`, reviewer: 'U1', source: 'manager', ownerSlackId: 'UOWN1' },
        { itemId: `${id}.2`, reviewer: 'U1', source: 'fallback' },
        { itemId: `${id}.3`, reviewer: 'U2', source: 'manager' },
        { itemId: `${id}.9`, reviewer: 'U2', source: 'manager' },
      ]),
    ).toBe(3);
    expect(await b.reviews.getItem(`${id}.1`)).toMatchObject({
      reviewer: 'U1',
      reviewerSource: 'manager',
      ownerSlackId: 'UOWN1',
    });
    expect((await b.reviews.getItem(`${id}.2`))?.ownerSlackId).toBeUndefined();
    expect((await b.reviews.getItem(`${id}.4`))?.reviewer).toBeUndefined();
    expect((await b.reviews.items(id, { reviewer: 'U1' })).map((i) => i.seq)).toEqual([1, 2]);

    expect((await b.reviews.decide(`${id}.1`, decision('U1'))).ok).toBe(true);
    // Escalation: the decided item stays with U1; the other moves to U3.
    expect(
      await b.reviews.assignReviewers([
        { itemId: `${id}.1`, reviewer: 'U3', source: 'escalated' },
        { itemId: `${id}.2`, reviewer: 'U3', source: 'escalated' },
      ]),
    ).toBe(1);
    expect(await a.reviews.getItem(`${id}.1`)).toMatchObject({ reviewer: 'U1', reviewerSource: 'manager' });
    expect(await a.reviews.getItem(`${id}.2`)).toMatchObject({ reviewer: 'U3', reviewerSource: 'escalated' });
    expect((await a.reviews.items(id, { reviewer: 'U1' })).map((i) => i.seq)).toEqual([1]);
    expect((await a.reviews.items(id, { reviewer: 'U3' })).map((i) => i.seq)).toEqual([2]);
    expect(await a.reviews.progress(id)).toEqual([
      { reviewer: '', total: 1, decided: 0, kept: 0, revoked: 0 },
      { reviewer: 'U1', total: 1, decided: 1, kept: 1, revoked: 0 },
      { reviewer: 'U2', total: 1, decided: 0, kept: 0, revoked: 0 },
      { reviewer: 'U3', total: 1, decided: 0, kept: 0, revoked: 0 },
    ]);
  });

  it('records a decision once: a second click, or a racing replica, gets "decided" with the item', async () => {
    const [a, b] = await replicas();
    const id = 'rv-00000030';
    await seed(a, id, 3, ['U1']);
    const first = await a.reviews.decide(`${id}.1`, decision('U1', 'revoke'));
    expect(first).toEqual({
      ok: true,
      item: { ...items(id, 3, ['U1'])[0], decision: decision('U1', 'revoke') },
    });
    expect(await b.reviews.getItem(`${id}.1`)).toEqual(first.item);
    const again = await b.reviews.decide(`${id}.1`, decision('U1', 'keep'));
    expect(again).toEqual({ ok: false, reason: 'decided', item: first.item });

    const race = await Promise.all([
      a.reviews.decide(`${id}.2`, decision('U1', 'keep')),
      b.reviews.decide(`${id}.2`, decision('U1', 'revoke')),
      a.reviews.decide(`${id}.2`, decision('U1', 'revoke')),
      b.reviews.decide(`${id}.2`, decision('U1', 'keep')),
    ]);
    const won = race.filter((r) => r.ok);
    expect(won).toHaveLength(1);
    expect(race.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual([
      'decided',
      'decided',
      'decided',
    ]);
    expect((await a.reviews.getItem(`${id}.2`))?.decision).toEqual(won[0]?.item.decision);
    expect(await a.reviews.progress(id)).toEqual([
      {
        reviewer: 'U1',
        total: 3,
        decided: 2,
        kept: won[0]?.item.decision?.outcome === 'keep' ? 1 : 0,
        revoked: won[0]?.item.decision?.outcome === 'keep' ? 1 : 2,
      },
    ]);
  });

  it('refuses a decision by someone else, by the owner, on a campaign not open, and on a missing item', async () => {
    const [a, b] = await replicas();
    const id = 'rv-00000040';
    await seed(a, id, 2, ['U1']);
    await a.reviews.assignReviewers([
      { itemId: `${id}.2`, reviewer: 'U1', source: 'manager', ownerSlackId: 'U1' },
    ]);
    const one = await a.reviews.getItem(`${id}.1`);
    expect(await b.reviews.decide(`${id}.1`, decision('U2'))).toEqual({
      ok: false,
      reason: 'not-reviewer',
      item: one,
    });
    // The owner is refused even when they are the reviewer.
    const two = await a.reviews.getItem(`${id}.2`);
    expect(await b.reviews.decide(`${id}.2`, decision('U1'))).toEqual({
      ok: false,
      reason: 'self',
      item: two,
    });
    expect(await b.reviews.decide(`${id}.7`, decision('U1'))).toEqual({ ok: false, reason: 'missing' });
    expect(await b.reviews.getItem(`${id}.2`)).toEqual(two);

    for (const [from, to] of [
      ['open', 'closing'],
      ['closing', 'closed'],
    ] as const) {
      expect(await a.reviews.transitionCampaign(id, from, to)).toBe(true);
      expect(await b.reviews.decide(`${id}.1`, decision('U1'))).toEqual({
        ok: false,
        reason: 'closed',
        item: one,
      });
    }
    await seed(a, 'rv-00000041', 1, ['U1'], { status: 'created' });
    expect(await b.reviews.decide('rv-00000041.1', decision('U1'))).toMatchObject({
      ok: false,
      reason: 'closed',
    });
    expect(await a.reviews.progress(id)).toEqual([
      { reviewer: 'U1', total: 2, decided: 0, kept: 0, revoked: 0 },
    ]);
  });

  it('reassigns an undecided item from its reviewer, recording who, when and why, never to its owner', async () => {
    const [a, b] = await replicas();
    const id = 'rv-00000050';
    await seed(a, id, 4, ['U1']);
    await a.reviews.assignReviewers([
      { itemId: `${id}.1`, reviewer: 'U1', source: 'manager', ownerSlackId: 'UOWN' },
    ]);
    const move = { to: 'U2', by: 'U1', at: T(3), reason: 'I do not manage this person' };
    const moved = await b.reviews.reassign(`${id}.1`, move);
    expect(moved).toMatchObject({
      ok: true,
      item: { reviewer: 'U2', reviewerSource: 'reassigned', reassignments: [{ ...move, from: 'U1' }] },
    });
    expect(await a.reviews.getItem(`${id}.1`)).toEqual(moved.item);
    expect((await a.reviews.items(id, { reviewer: 'U1' })).map((i) => i.seq)).toEqual([2, 3, 4]);
    expect((await a.reviews.items(id, { reviewer: 'U2' })).map((i) => i.seq)).toEqual([1]);

    // Now U2's: U1 may no longer move or decide it; U2 may move it on, and the history grows.
    expect(await a.reviews.reassign(`${id}.1`, { ...move, to: 'U3' })).toMatchObject({
      ok: false,
      reason: 'not-reviewer',
    });
    expect(await a.reviews.decide(`${id}.1`, decision('U1'))).toMatchObject({
      ok: false,
      reason: 'not-reviewer',
    });
    const on = await a.reviews.reassign(`${id}.1`, { to: 'U3', by: 'U2', at: T(4), reason: 'on leave' });
    expect(on.ok && on.item.reassignments).toEqual([
      { ...move, from: 'U1' },
      { to: 'U3', by: 'U2', at: T(4), reason: 'on leave', from: 'U2' },
    ]);
    expect(await b.reviews.items(id, { reviewer: 'U2' })).toEqual([]);
    expect((await b.reviews.items(id, { reviewer: 'U3' })).map((i) => i.seq)).toEqual([1]);

    // Never to the owner; never after a decision; the refused item is unchanged.
    const before = await a.reviews.getItem(`${id}.1`);
    expect(await b.reviews.reassign(`${id}.1`, { to: 'UOWN', by: 'U3', at: T(5), reason: 'x' })).toEqual({
      ok: false,
      reason: 'self',
      item: before,
    });
    expect((await b.reviews.decide(`${id}.2`, decision('U1'))).ok).toBe(true);
    expect(await b.reviews.reassign(`${id}.2`, { to: 'U2', by: 'U1', at: T(5), reason: 'x' })).toMatchObject({
      ok: false,
      reason: 'decided',
    });
    expect(await b.reviews.reassign(`${id}.9`, { to: 'U2', by: 'U1', at: T(5), reason: 'x' })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(await a.reviews.getItem(`${id}.1`)).toEqual(before);
    expect((await a.reviews.items(id, { reviewer: 'U1' })).map((i) => i.seq)).toEqual([2, 3, 4]);
    expect((await a.reviews.items(id, { reviewer: 'U2' })).map((i) => i.seq)).toEqual([]);

    // Of two racing moves of one item, one wins; the index names it under exactly one reviewer.
    const race = await Promise.all([
      a.reviews.reassign(`${id}.3`, { to: 'U4', by: 'U1', at: T(6), reason: 'a' }),
      b.reviews.reassign(`${id}.3`, { to: 'U5', by: 'U1', at: T(6), reason: 'b' }),
    ]);
    expect(race.filter((r) => r.ok)).toHaveLength(1);
    const holders = [];
    for (const r of ['U1', 'U4', 'U5'])
      if ((await a.reviews.items(id, { reviewer: r })).some((i) => i.seq === 3)) holders.push(r);
    expect(holders).toEqual([(await a.reviews.getItem(`${id}.3`))?.reviewer]);
  });

  it('tracks a revocation on a decided item, and nothing on a missing one', async () => {
    const [a, b] = await replicas();
    const id = 'rv-00000060';
    await seed(a, id, 2, ['U1']);
    const decided = await a.reviews.decide(`${id}.1`, decision('U1', 'revoke'));
    await b.reviews.setRevocation(`${id}.1`, { status: 'requested', requestId: 'req-1', at: T(3) });
    await b.reviews.setRevocation(`${id}.1`, {
      status: 'done',
      requestId: 'req-1',
      at: T(4),
      detail: 'removed from group-1',
    });
    await b.reviews.setRevocation(`${id}.9`, { status: 'done', at: T(4) });
    expect(await a.reviews.getItem(`${id}.1`)).toEqual({
      ...(decided.ok ? decided.item : {}),
      revocation: { status: 'done', requestId: 'req-1', at: T(4), detail: 'removed from group-1' },
    });
    expect(await a.reviews.getItem(`${id}.9`)).toBeUndefined();
  });
});

describe('sqlite review store across a restart', () => {
  it('keeps campaigns, items, decisions, reassignments and revocations in the file', async () => {
    const path = join(tempDataDir(), 'aws-user.db');
    const first = sqliteStore({ path });
    const id = 'rv-00000070';
    await seed(first, id, 3, ['U1']);
    await first.reviews.decide(`${id}.1`, decision('U1', 'revoke'));
    await first.reviews.setRevocation(`${id}.1`, { status: 'failed', at: T(3), detail: 'AccessDenied' });
    await first.reviews.reassign(`${id}.2`, { to: 'U2', by: 'U1', at: T(3), reason: 'not mine' });
    await first.reviews.transitionCampaign(id, 'open', 'closing', { closedAt: T(5), closedReason: 'due' });
    const campaignBefore = await first.reviews.getCampaign(id);
    const itemsBefore = await first.reviews.items(id);
    await first.close();

    const again = sqliteStore({ path });
    stores.push(again);
    expect(await again.reviews.getCampaign(id)).toEqual(campaignBefore);
    expect(await again.reviews.items(id)).toEqual(itemsBefore);
    expect(await again.reviews.listCampaigns({ status: ['closing'] })).toEqual([campaignBefore]);
    expect((await again.reviews.items(id, { reviewer: 'U2' })).map((i) => i.seq)).toEqual([2]);
    expect(await again.reviews.progress(id)).toEqual([
      { reviewer: 'U1', total: 2, decided: 1, kept: 0, revoked: 1 },
      { reviewer: 'U2', total: 1, decided: 0, kept: 0, revoked: 0 },
    ]);
  });
});
