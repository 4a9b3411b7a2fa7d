import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.js';
import { DAY_MS } from '../../src/core/clock.js';
import type { Deps } from '../../src/deps.js';
import { launchCampaign, remindCampaign, reviewTick } from '../../src/flows/review/lifecycle.js';
import { flushProgress, refreshProgress } from '../../src/flows/review/progress.js';
import { createCampaignTicket, createJiraClient } from '../../src/integrations/jira.js';
import { accessReview } from '../../src/jobs/access-review.js';
import { accessReviewTick } from '../../src/jobs/access-review-tick.js';
import { type FakeJira, startFakeJira } from '../helpers/fake-jira.js';
import { type FakeSlack, type RecordedCall, startFakeSlack } from '../helpers/fake-slack.js';
import { type PersonSpec, reviewConfig, reviewDeps, seedCampaign, T0 } from '../helpers/review.js';
import { sqliteStore } from '../helpers/store.js';

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(() => {
  fake.reset();
  fake.users.clear();
  fake
    .addUser({ id: 'UBOSS', name: 'boss', email: 'boss@example.com' })
    .addUser({ id: 'UALICE', name: 'alice', email: 'alice@example.com' })
    .addUser({ id: 'UCAROL', name: 'carol', email: 'carol@example.com' })
    .addUser({ id: 'UFB1', name: 'fb1', email: 'fb1@example.com' });
});

/** alice → her manager; bob (no Manager tag) → a fallback; carol is her own "manager"; fb1 is a fallback. */
const PEOPLE: PersonSpec[] = [
  { name: 'alice', email: 'alice@example.com', managerEmail: 'BOSS@example.com', groups: ['Dev', 'Ops'] },
  { name: 'bob', slackUserId: 'UBOB', groups: ['Dev'] },
  { name: 'carol', email: 'carol@example.com', managerEmail: 'carol@example.com', groups: ['Dev'] },
  { name: 'fb1', email: 'fb1@example.com', groups: ['Admins'] },
  { name: 'ghost', email: 'ghost@example.com', managerEmail: 'gone@example.com', groups: ['Dev'] },
];

/** DMs (chat.postMessage to a D… channel) per reviewer. */
function dmsTo(calls: readonly RecordedCall[] = fake.calls): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls)
    if (c.method === 'chat.postMessage' && String(c.body.channel).startsWith('D')) {
      const who = String(c.body.channel).slice(1);
      out[who] = (out[who] ?? 0) + 1;
    }
  return out;
}

const channelPosts = () =>
  fake.callsTo('chat.postMessage').filter((c) => !String(c.body.channel).startsWith('D'));

async function decideAll(deps: Deps, campaignId: string, outcome: 'keep' | 'revoke' = 'keep') {
  for (const i of await deps.store.reviews.items(campaignId, { open: true }))
    expect(
      await deps.store.reviews.decide(i.id, {
        outcome,
        by: i.reviewer as string,
        at: deps.clock.now().toISOString(),
      }),
    ).toMatchObject({ ok: true });
}

describe('launch', () => {
  it('assigns managers and fallbacks, never the owner, posts the message, opens the campaign and DMs each reviewer once', async () => {
    const { deps, store } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    const out = await reviewTick(deps);
    expect(out).toEqual({ [campaign.id]: 'launched' });

    const items = await store.reviews.items(campaign.id);
    const by = Object.fromEntries(items.map((i) => [`${i.principal.name}:${i.entitlement.name}`, i]));
    expect(by['alice:Dev']).toMatchObject({
      reviewer: 'UBOSS',
      reviewerSource: 'manager',
      ownerSlackId: 'UALICE',
    });
    expect(by['alice:Ops']).toMatchObject({ reviewer: 'UBOSS', reviewerSource: 'manager' });
    // Fallbacks rotate per person: bob first (UFB1), carol next (UFB2).
    expect(by['bob:Dev']).toMatchObject({
      reviewer: 'UFB1',
      reviewerSource: 'fallback',
      ownerSlackId: 'UBOB',
    });
    // Carol's manager is carol: a fallback instead, never herself.
    expect(by['carol:Dev']).toMatchObject({
      reviewer: 'UFB2',
      reviewerSource: 'fallback',
      ownerSlackId: 'UCAROL',
    });
    // fb1's turn is UFB1, who is fb1: the next fallback.
    expect(by['fb1:Admins']).toMatchObject({
      reviewer: 'UFB2',
      reviewerSource: 'fallback',
      ownerSlackId: 'UFB1',
    });
    // ghost's manager is not in Slack, nor is ghost: a fallback (the fourth person: UFB2), no owner id.
    expect(by['ghost:Dev']).toMatchObject({ reviewer: 'UFB2', reviewerSource: 'fallback' });
    expect(by['ghost:Dev']?.ownerSlackId).toBeUndefined();
    for (const i of items) expect(i.reviewer).not.toBe(i.ownerSlackId);
    // One lookup per address within the launch.
    const lookups = fake.callsTo('users.lookupByEmail').map((c) => String(c.body.email));
    expect(lookups.length).toBe(new Set(lookups).size);

    const c = await store.reviews.getCampaign(campaign.id);
    expect(c).toMatchObject({ status: 'open', launchedAt: T0.toISOString() });
    const posts = channelPosts();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body.channel).toBe('C0REVIEW');
    expect(c?.message).toEqual({ channel: 'C0REVIEW', ts: expect.any(String) });
    const blocks = JSON.stringify(posts[0]?.body.blocks);
    expect(blocks).toContain('0 of 6');
    expect(blocks).toContain('<@UBOSS> 0/2');
    expect(dmsTo()).toEqual({ UBOSS: 1, UFB1: 1, UFB2: 1 });
    const audit = (await store.audit.recent?.({ target: campaign.id, limit: 5 })) ?? [];
    expect(audit[0]).toMatchObject({
      action: 'review.launch',
      details: { items: 6, assigned: 6, byManager: 2, byFallback: 4, unassigned: 0, reviewers: 3 },
    });

    // A second tick (and a second launch) changes nothing and tells nobody again.
    fake.reset();
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'none' });
    expect(await launchCampaign(deps, campaign.id)).toMatchObject({ launched: false });
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('leaves an item unassigned, and says so, when its owner is the only fallback reviewer', async () => {
    const { deps, store, clock } = reviewDeps(fake, {
      config: reviewConfig({ fallback_reviewers: ['UFB1'] }),
    });
    const { campaign } = await seedCampaign(store, [
      { name: 'fb1', email: 'fb1@example.com', groups: ['Admins'] },
      { name: 'bob', slackUserId: 'UBOB' },
    ]);
    await reviewTick(deps);
    const [fb1, bob] = await store.reviews.items(campaign.id);
    expect(fb1?.reviewer).toBeUndefined();
    expect(bob?.reviewer).toBe('UFB1');
    const text = JSON.stringify(channelPosts()[0]?.body.blocks);
    expect(text).toMatch(/1 item\(s\) have no reviewer/);
    expect(dmsTo()).toEqual({ UFB1: 1 });
    // Escalation finds the owner again (the store keeps no owner on an unassigned item): still not fb1's.
    clock.set(new Date(campaign.dueAt));
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'escalated' });
    expect((await store.reviews.items(campaign.id))[0]?.reviewer).toBeUndefined();
    const audit = (await store.audit.recent?.({ target: campaign.id, limit: 1 })) ?? [];
    expect(audit[0]).toMatchObject({ action: 'review.escalate', details: { withoutFallback: 1 } });
  });

  it('retries at the next tick when a Slack lookup fails, rather than miss the owner', async () => {
    const { deps, store } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    fake.on('users.lookupByEmail', () => ({ ok: false, error: 'ratelimited' }));
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'failed' });
    expect((await store.reviews.getCampaign(campaign.id))?.status).toBe('created');
    fake.off('users.lookupByEmail');
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'launched' });
  });

  it('resumes a launch that crashed after posting: the same message, updated, not a second one', async () => {
    const { deps, store } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    await store.reviews.updateCampaign(campaign.id, { message: { channel: 'C0REVIEW', ts: '111.222' } });
    await reviewTick(deps);
    expect(channelPosts()).toEqual([]);
    expect(fake.callsTo('chat.update')[0]?.body).toMatchObject({ channel: 'C0REVIEW', ts: '111.222' });
    expect((await store.reviews.getCampaign(campaign.id))?.message).toEqual({
      channel: 'C0REVIEW',
      ts: '111.222',
    });
  });
});

describe('launch at scale', () => {
  it('reads the Slack directory once (users.list, paged) instead of one rate-limited lookupByEmail per address', async () => {
    // users.lookupByEmail is Tier 3 (~50 a minute): 5,000 people would hold a launch for an hour and more.
    const { deps, store } = reviewDeps(fake);
    const people: PersonSpec[] = [];
    for (let n = 0; n < 450; n++) {
      fake.addUser({ id: `UP${n}`, name: `p${n}`, email: `P${n}@example.com` });
      people.push({
        name: `p${n}`,
        email: `p${n}@example.com`,
        managerEmail: 'boss@example.com',
        groups: ['Dev'],
      });
    }
    // The manager's own IAM user names himself: never his own reviewer, even found through the directory.
    people.push({
      name: 'boss',
      email: 'Boss@Example.com',
      managerEmail: 'boss@example.com',
      groups: ['Dev'],
    });
    fake.addUser({ id: 'UGONE', name: 'gone', email: 'gone@example.com', deleted: true });
    people.push({
      name: 'orphan',
      email: 'orphan@example.com',
      managerEmail: 'gone@example.com',
      groups: ['Dev'],
    });
    const { campaign } = await seedCampaign(store, people);
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'launched' });
    expect(fake.callsTo('users.lookupByEmail')).toEqual([]);
    expect(fake.callsTo('users.list').length).toBe(3);
    const items = await store.reviews.items(campaign.id);
    const by = Object.fromEntries(items.map((i) => [i.principal.name, i]));
    expect(by.p7).toMatchObject({ reviewer: 'UBOSS', reviewerSource: 'manager', ownerSlackId: 'UP7' });
    expect(by.boss).toMatchObject({ reviewerSource: 'fallback', ownerSlackId: 'UBOSS' });
    expect(by.boss?.reviewer).not.toBe('UBOSS');
    // A deactivated manager is nobody: the items go to a fallback.
    expect(by.orphan).toMatchObject({ reviewerSource: 'fallback' });
  });
});

describe('reminders and escalation', () => {
  it('reminds reviewers with open items once per round, never after the due date', async () => {
    const { deps, store, clock } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    await reviewTick(deps);
    // UBOSS decides everything: no reminder for them.
    for (const i of await store.reviews.items(campaign.id, { reviewer: 'UBOSS' }))
      await store.reviews.decide(i.id, { outcome: 'keep', by: 'UBOSS', at: clock.now().toISOString() });

    fake.reset();
    clock.advance(2 * DAY_MS);
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'none' });
    expect(dmsTo()).toEqual({});

    clock.advance(1 * DAY_MS);
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'reminded' });
    expect(dmsTo()).toEqual({ UFB1: 1, UFB2: 1 });
    expect((await store.reviews.getCampaign(campaign.id))?.remindedAt).toBe(clock.now().toISOString());
    clock.advance(60 * 60_000);
    await reviewTick(deps);
    await reviewTick(deps);
    expect(dmsTo()).toEqual({ UFB1: 1, UFB2: 1 });

    // Rounds at 6, 9 and 12 days; the one at 15 days would be past the 14-day deadline.
    for (const day of [6, 9, 12]) {
      clock.set(new Date(T0.getTime() + day * DAY_MS + 1000));
      await reviewTick(deps);
    }
    expect(dmsTo()).toEqual({ UFB1: 4, UFB2: 4 });
    clock.set(new Date(T0.getTime() + 13.9 * DAY_MS));
    await reviewTick(deps);
    expect(dmsTo()).toEqual({ UFB1: 4, UFB2: 4 });
    // The round at 15 days is past the deadline: no reminder, even asked directly.
    clock.set(new Date(T0.getTime() + 15 * DAY_MS + 1000));
    const open = await store.reviews.getCampaign(campaign.id);
    expect(await remindCampaign(deps, open as NonNullable<typeof open>)).toBe(0);
    expect(dmsTo()).toEqual({ UFB1: 4, UFB2: 4 });
  });

  it('at the deadline moves undecided items to a fallback reviewer (never the owner), DMs them and audits', async () => {
    const { deps, store, clock } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    await reviewTick(deps);
    const bob = (await store.reviews.items(campaign.id)).find((i) => i.principal.name === 'bob');
    await store.reviews.decide(bob?.id as string, {
      outcome: 'revoke',
      by: 'UFB1',
      at: clock.now().toISOString(),
    });

    fake.reset();
    clock.set(new Date(Date.parse(campaign.dueAt) + 60_000));
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'escalated' });
    const items = await store.reviews.items(campaign.id);
    for (const i of items.filter((x) => !x.decision)) {
      expect(['UFB1', 'UFB2']).toContain(i.reviewer);
      expect(i.reviewer).not.toBe(i.ownerSlackId);
    }
    const by = Object.fromEntries(items.map((i) => [`${i.principal.name}:${i.entitlement.name}`, i]));
    // Manager-held items move; fb1's own item stays with UFB2, never UFB1.
    expect(by['alice:Dev']).toMatchObject({ reviewerSource: 'escalated' });
    expect(by['fb1:Admins']).toMatchObject({ reviewer: 'UFB2', reviewerSource: 'escalated' });
    // The decided item keeps its reviewer and decision.
    expect(by['bob:Dev']).toMatchObject({
      reviewer: 'UFB1',
      reviewerSource: 'fallback',
      decision: { outcome: 'revoke' },
    });
    expect(dmsTo()).toEqual({ UFB1: 1, UFB2: 1 });
    const c = await store.reviews.getCampaign(campaign.id);
    expect(c?.escalatedAt).toBe(clock.now().toISOString());
    const audit = (await store.audit.recent?.({ target: campaign.id, limit: 1 })) ?? [];
    expect(audit[0]).toMatchObject({ action: 'review.escalate', details: { count: 5 } });
    expect(JSON.stringify(fake.callsTo('chat.update').at(-1)?.body.blocks)).toContain('Overdue');

    // Escalated once; no reminder after the deadline either.
    fake.reset();
    clock.advance(DAY_MS);
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'none' });
    expect(dmsTo()).toEqual({});
  });
});

describe('close', () => {
  it('waits for revocations still awaiting approval, so the report shows how they ended; the deadline closes regardless', async () => {
    const { deps, store, clock } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    await reviewTick(deps);
    await decideAll(deps, campaign.id, 'revoke');
    const [first] = await store.reviews.items(campaign.id);
    await store.reviews.setRevocation(first?.id as string, {
      status: 'requested',
      requestId: 'req-1',
      at: T0.toISOString(),
    });
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'none' });
    expect((await store.reviews.getCampaign(campaign.id))?.status).toBe('open');
    await store.reviews.setRevocation(first?.id as string, {
      status: 'done',
      requestId: 'req-1',
      at: T0.toISOString(),
      detail: 'removed',
    });
    expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'closed' });

    // Another campaign whose revocation never ends closes at due + escalation_days, showing it pending.
    const { campaign: late } = await seedCampaign(store, PEOPLE, { id: 'rv-0000late' });
    await reviewTick(deps);
    await decideAll(deps, late.id, 'revoke');
    const [pending] = await store.reviews.items(late.id);
    await store.reviews.setRevocation(pending?.id as string, { status: 'requested', at: T0.toISOString() });
    clock.advance(14 * DAY_MS);
    expect(await reviewTick(deps)).toEqual({ [late.id]: 'none' });
    clock.advance(3 * DAY_MS);
    expect(await reviewTick(deps)).toEqual({ [late.id]: 'closed' });
    expect((await store.reviews.getCampaign(late.id))?.closedReason).toBe('due');
  });

  it('closes when every item is decided: CSV and JSON with every item, final message, audit; once under a race', async () => {
    const { deps, store } = reviewDeps(fake);
    const { campaign, items } = await seedCampaign(store, PEOPLE);
    await reviewTick(deps);
    await decideAll(deps, campaign.id);
    const revoked = (await store.reviews.items(campaign.id))[0];
    await store.reviews.setRevocation(revoked?.id as string, {
      status: 'failed',
      at: T0.toISOString(),
      detail: 'x',
    });

    fake.reset();
    // A second replica: its own view of the same store (its own per-replica state), racing this one.
    const other = { ...deps, store: { ...deps.store, reviews: new Proxy(store.reviews, {}) } } as Deps;
    const [a, b] = await Promise.all([reviewTick(deps), reviewTick(other)]);
    expect([a[campaign.id], b[campaign.id]].sort()).toEqual(['closed', 'none']);
    const c = await store.reviews.getCampaign(campaign.id);
    expect(c).toMatchObject({ status: 'closed', closedReason: 'all-decided', closedAt: T0.toISOString() });
    expect(fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
    expect(fake.callsTo('files.completeUploadExternal')[0]?.body).toMatchObject({ channel_id: 'C0REVIEW' });
    expect(String(fake.callsTo('files.completeUploadExternal')[0]?.body.initial_comment)).toMatch(
      /6 of 6 decided: 6 kept .* 0 undecided\. Revocations: 0 done, 1 failed, 0 pending/,
    );
    expect(c?.report).toEqual({ channel: 'C0REVIEW', fileIds: [expect.any(String), expect.any(String)] });
    const uploaded = [...fake.uploads.values()].map((b) => b.toString('utf8'));
    const csv = uploaded.find((u) => u.startsWith('campaign_id,')) as string;
    const json = JSON.parse(uploaded.find((u) => u.startsWith('{')) as string);
    for (const i of items) expect(csv).toContain(i.id);
    expect(json.items).toHaveLength(items.length);
    expect(json.campaign).toMatchObject({ status: 'closed', closed_reason: 'all-decided' });
    const final = fake.callsTo('chat.update').at(-1);
    expect(final?.body).toMatchObject(c?.message ?? {});
    expect(JSON.stringify(final?.body.blocks)).toMatch(/Closed.*every item was decided/);
    expect(JSON.stringify(final?.body.blocks)).toContain('1 failed');
    const closes = (await store.audit.recent?.({ target: campaign.id, limit: 10 }))?.filter(
      (e) => e.action === 'review.close',
    );
    expect(closes).toHaveLength(1);

    fake.reset();
    expect(await reviewTick(deps)).toEqual({});
    expect(fake.calls).toEqual([]);
  });

  describe('with Jira', () => {
    let jira: FakeJira;
    beforeAll(async () => {
      jira = await startFakeJira({ email: 'bot@example.com', apiToken: 'tok' });
    });
    afterAll(async () => {
      await jira?.stop();
    });

    it('closes at due + escalation_days with one Jira ticket, and finishes a close interrupted mid-way', async () => {
      const config = reviewConfig(
        {},
        {
          jira: { base_url: jira.url, project_key: 'SEC', issue_type: 'Task', email: 'bot@example.com' },
          env: parseEnv({ JIRA_API_TOKEN: 'tok' }),
        },
      );
      const { deps, store, clock } = reviewDeps(fake, { config });
      const { campaign } = await seedCampaign(store, PEOPLE);
      await reviewTick(deps);
      clock.set(new Date(Date.parse(campaign.dueAt) + 3 * DAY_MS - 1000));
      expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'escalated' });
      clock.advance(1000);
      // A replica that won open → closing and died: the next tick finishes it.
      expect(
        await store.reviews.transitionCampaign(campaign.id, 'open', 'closing', { closedReason: 'due' }),
      ).toBe(true);
      await store.reviews.updateCampaign(campaign.id, {
        report: { channel: 'C0REVIEW', fileIds: ['FOLD1', 'FOLD2'] },
      });
      fake.reset();
      expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'closed' });
      // Files were already up: not uploaded again; the ticket is filed once.
      expect(fake.callsTo('files.completeUploadExternal')).toEqual([]);
      expect(jira.issues).toHaveLength(1);
      expect(jira.issues[0]?.fields.labels).toContain(campaign.id);
      expect(jira.issues[0]?.fields.summary).toMatch(/0\/6 decided/);
      const c = await store.reviews.getCampaign(campaign.id);
      expect(c).toMatchObject({
        status: 'closed',
        closedReason: 'due',
        report: { channel: 'C0REVIEW', fileIds: ['FOLD1', 'FOLD2'], jiraKey: jira.issues[0]?.key },
      });
      expect(JSON.stringify(fake.callsTo('chat.update').at(-1)?.body.blocks)).toContain(
        `${jira.url}/browse/${jira.issues[0]?.key}`,
      );
    });

    it('files one ticket per campaign: an open one with its label is reused', async () => {
      const cfg = { base_url: jira.url, project_key: 'SEC', issue_type: 'Task', email: 'bot@example.com' };
      const { client } = createJiraClient({ jira: cfg, env: parseEnv({ JIRA_API_TOKEN: 'tok' }) });
      const t = { campaignId: 'rv-0000f00d', summary: 's', paragraphs: ['p'] };
      const first = await createCampaignTicket(client, cfg, t);
      const again = await createCampaignTicket(client, cfg, t);
      expect(first.existed).toBe(false);
      expect(again).toEqual({ ...first, existed: true });
      expect(jira.issues.filter((i) => i.fields.labels.includes('rv-0000f00d'))).toHaveLength(1);
    });

    it('closes at due + escalation_days from open, uploading the report and filing the ticket', async () => {
      const config = reviewConfig(
        { escalation_days: 0 },
        {
          jira: { base_url: jira.url, project_key: 'SEC', issue_type: 'Task', email: 'bot@example.com' },
          env: parseEnv({ JIRA_API_TOKEN: 'tok' }),
        },
      );
      const { deps, store, clock } = reviewDeps(fake, { config });
      const { campaign } = await seedCampaign(store, PEOPLE, { id: 'rv-0000beef' });
      await reviewTick(deps);
      clock.set(new Date(campaign.dueAt));
      fake.reset();
      expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'closed' });
      expect(dmsTo()).toEqual({});
      expect(fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
      const c = await store.reviews.getCampaign(campaign.id);
      expect(c?.report?.jiraKey).toBe(jira.issues.find((i) => i.fields.labels.includes(campaign.id))?.key);
      expect(c?.closedReason).toBe('due');
    });
  });

  it('one failing campaign does not stop the others', async () => {
    const { deps, store } = reviewDeps(fake);
    await seedCampaign(store, PEOPLE, { id: 'rv-00000001', createdAt: new Date(T0.getTime() - 1000) });
    await seedCampaign(store, PEOPLE, { id: 'rv-00000002' });
    let first = true;
    fake.on('chat.postMessage', (b) => {
      if (String(b.channel).startsWith('C') && first) {
        first = false;
        return { ok: false, error: 'channel_not_found' };
      }
      return undefined;
    });
    try {
      expect(await reviewTick(deps)).toEqual({ 'rv-00000001': 'failed', 'rv-00000002': 'launched' });
    } finally {
      fake.off('chat.postMessage');
    }
  });
});

describe('progress message', () => {
  it('updates at once, then at most once per interval with a trailing update that shows the last decision', async () => {
    const { deps, store, clock } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    await reviewTick(deps);
    fake.reset();
    await refreshProgress(deps, campaign.id);
    expect(fake.callsTo('chat.update')).toHaveLength(1);
    const [first, second] = await store.reviews.items(campaign.id);
    await store.reviews.decide(first?.id as string, { outcome: 'keep', by: 'UBOSS', at: T0.toISOString() });
    await refreshProgress(deps, campaign.id);
    await store.reviews.decide(second?.id as string, { outcome: 'keep', by: 'UBOSS', at: T0.toISOString() });
    await refreshProgress(deps, campaign.id);
    expect(fake.callsTo('chat.update')).toHaveLength(1);
    await flushProgress(deps);
    expect(fake.callsTo('chat.update')).toHaveLength(2);
    expect(JSON.stringify(fake.callsTo('chat.update')[1]?.body.blocks)).toContain('<@UBOSS> 2/2');
    clock.advance(5_000);
    await refreshProgress(deps, campaign.id);
    expect(fake.callsTo('chat.update')).toHaveLength(3);
    // A Slack failure is logged, never thrown.
    clock.advance(5_000);
    fake.on('chat.update', () => ({ ok: false, error: 'message_not_found' }));
    await expect(refreshProgress(deps, campaign.id)).resolves.toBeUndefined();
    fake.off('chat.update');
  });

  it('heals at the next tick when a trailing update was lost (a restart, another replica’s decision)', async () => {
    const { deps, store } = reviewDeps(fake);
    const { campaign } = await seedCampaign(store, PEOPLE);
    await reviewTick(deps);
    const [first] = await store.reviews.items(campaign.id, { reviewer: 'UBOSS' });
    // Recorded by a replica that stopped before its throttled update went out.
    await store.reviews.decide(first?.id as string, { outcome: 'keep', by: 'UBOSS', at: T0.toISOString() });
    fake.reset();
    await reviewTick(deps);
    const updates = fake.callsTo('chat.update');
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0]?.body.blocks)).toContain('<@UBOSS> 1/2');
  });
});

describe('jobs', () => {
  it('are off without `review`, and do nothing when run', async () => {
    const { deps } = reviewDeps(fake, { config: reviewConfig() });
    const off = { ...deps, config: { ...deps.config, review: undefined } } as Deps;
    expect(accessReview.schedule(off.config)).toBe('off');
    expect(accessReviewTick.schedule(off.config)).toBe('off');
    expect(accessReview.schedule(deps.config)).toBe('0 9 1 1,4,7,10 *');
    expect(accessReviewTick.schedule(deps.config)).toBe('*/15 * * * *');
    expect(accessReview.catchUp).toBe(true);
    await accessReview.run(off);
    await accessReviewTick.run(off);
    expect(fake.calls).toEqual([]);
  });

  it('access-review starts a campaign over review.accounts as job:access-review and launches it', async () => {
    const seen: unknown[] = [];
    const { deps, store } = reviewDeps(fake, {
      config: reviewConfig({ accounts: ['prod'] }),
      start: async (s, opts) => {
        seen.push(opts);
        const { campaign } = await seedCampaign({ reviews: s } as never, PEOPLE);
        return { campaign, summary: {} as never };
      },
    });
    await accessReview.run(deps);
    expect(seen).toEqual([{ accounts: ['prod'], createdBy: 'job:access-review' }]);
    const [c] = await store.reviews.listCampaigns();
    expect(c?.status).toBe('open');
    expect(dmsTo()).toEqual({ UBOSS: 1, UFB1: 1, UFB2: 1 });
  });
});

describe('through SQLite', () => {
  it('launches, escalates and closes with the embedded store', async () => {
    const s = sqliteStore();
    try {
      const { deps, store, clock } = reviewDeps(fake, { store: s });
      const { campaign } = await seedCampaign(store, PEOPLE);
      expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'launched' });
      clock.set(new Date(campaign.dueAt));
      expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'escalated' });
      await decideAll(deps, campaign.id, 'revoke');
      expect(await reviewTick(deps)).toEqual({ [campaign.id]: 'closed' });
      expect(await store.reviews.getCampaign(campaign.id)).toMatchObject({
        status: 'closed',
        closedReason: 'all-decided',
      });
    } finally {
      await s.close();
    }
  });
});
