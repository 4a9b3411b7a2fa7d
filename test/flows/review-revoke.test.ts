import { AddUserToGroupCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { fixedClock } from '../../src/core/clock.js';
import type { ReviewItem } from '../../src/core/index.js';
import { approveRequest, denyRequest } from '../../src/flows/requests/decide.js';
import { expireRequests } from '../../src/flows/requests/expire.js';
import { recoverAtStart } from '../../src/flows/requests/recover.js';
import { requestRevocation } from '../../src/flows/review/revoke.js';
import { botConfig, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { groupsOf } from '../helpers/grants.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot | undefined;
const CAMPAIGN = 'rv-0000abcd';
const ITEM = `${CAMPAIGN}.1`;
const clock = fixedClock(new Date());

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  await moto.iam().send(new CreateUserCommand({ UserName: 'alice' }));
  for (const GroupName of ['Developers', 'ReadOnly'])
    await moto.iam().send(new AddUserToGroupCommand({ UserName: 'alice', GroupName }));
  fake.reset();
  seedSlack(fake);
  clock.set(new Date());
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function reviewConfig(revokeWithoutApproval: boolean): Config {
  return botConfig(fake, {
    review: {
      fallback_reviewers: [USERS.admin],
      due_days: 14,
      reminder_days: 3,
      escalation_days: 3,
      revoke_without_approval: revokeWithoutApproval,
    },
  });
}

/**
 * An open campaign whose one item (alice's membership of Developers, owned by approver2, an approver) went
 * to `reviewer`, who decided revoke: what the store holds when revslack calls requestRevocation.
 */
async function decidedItem(bot: TestBot, reviewer: string): Promise<ReviewItem> {
  const now = clock.now().toISOString();
  await bot.store.reviews.createCampaign(
    {
      id: CAMPAIGN,
      name: 'Q4 review',
      status: 'open',
      createdAt: now,
      createdBy: 'cli:test',
      dueAt: new Date(clock.now().getTime() + 14 * 86_400_000).toISOString(),
      accounts: [{ id: MOTO_ACCOUNT, name: 'home', ok: true }],
      thresholds: { console_days: 90, access_key_days: 180 },
      itemCount: 1,
    },
    [
      {
        id: ITEM,
        campaignId: CAMPAIGN,
        seq: 1,
        account: MOTO_ACCOUNT,
        accountName: 'home',
        principal: { kind: 'iam-user', name: 'alice', slackUserId: USERS.approver2 },
        entitlement: { kind: 'group', name: 'Developers' },
        evidence: { unused: true, neverUsed: true },
        reviewer,
        reviewerSource: 'manager',
        ownerSlackId: USERS.approver2,
      },
    ],
  );
  const decided = await bot.store.reviews.decide(ITEM, {
    outcome: 'revoke',
    by: reviewer,
    at: now,
    comment: 'left the team',
  });
  if (!decided.ok) throw new Error(`decision refused: ${decided.reason}`);
  return decided.item;
}

const approvalPosts = () => fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0APPROVALS');

describe('a revoke decision files a revocation request', () => {
  it('files kind revoke (1 approval, not admin-only, the reviewer as requester), posts it, marks the item requested', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(false), clock });
    const item = await decidedItem(t, USERS.requester);
    const line = await requestRevocation(t.deps, item, USERS.requester);

    const revocation = (await t.store.reviews.getItem(ITEM))?.revocation;
    expect(revocation?.status).toBe('requested');
    const id = revocation?.requestId ?? '';
    expect(line).toBe(
      `Revocation filed for approval: request \`${id}\` to revoke group Developers of \`alice\` in home; another approver decides in <#C0APPROVALS>.`,
    );
    const r = await t.store.getRequest(id);
    expect(r).toMatchObject({
      kind: 'revoke',
      status: 'pending',
      requester: USERS.requester,
      approvalsNeeded: 1,
      adminOnly: false,
      account: MOTO_ACCOUNT,
      target: { username: 'alice', slackUserId: USERS.approver2 },
      review: {
        campaignId: CAMPAIGN,
        itemId: ITEM,
        accountName: 'home',
        principal: { kind: 'iam-user', name: 'alice' },
        entitlement: { kind: 'group', name: 'Developers' },
      },
    });
    expect(r?.justification).toContain('left the team');
    const posts = approvalPosts();
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0]?.body.blocks)).toContain(
      `Access review revocation: remove IAM user \`alice\` from group *Developers* in home (${MOTO_ACCOUNT})`,
    );
    // Nothing changed in IAM yet.
    expect(await groupsOf(moto, 'alice')).toEqual(['Developers', 'ReadOnly']);
  });

  it('neither the reviewer nor the owner may approve it; another approver does, and the item is done', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(false), clock });
    // The reviewer is an approver here, so only the requester rule stops them.
    const item = await decidedItem(t, USERS.approver);
    await requestRevocation(t.deps, item, USERS.approver);
    const id = (await t.store.reviews.getItem(ITEM))?.revocation?.requestId ?? '';

    expect(await approveRequest(t.deps, USERS.approver, id)).toBe(
      'You cannot approve your own request; another approver must.',
    );
    expect(await approveRequest(t.deps, USERS.approver2, id)).toBe(
      'You cannot approve the revocation of your own access; another approver must.',
    );
    expect((await t.store.getRequest(id))?.status).toBe('pending');
    expect(await groupsOf(moto, 'alice')).toEqual(['Developers', 'ReadOnly']);

    expect(await approveRequest(t.deps, USERS.groupApprover, id)).toBeUndefined();
    expect(await groupsOf(moto, 'alice')).toEqual(['ReadOnly']);
    const r = await t.store.getRequest(id);
    expect(r?.status).toBe('done');
    const detail = `removed alice from group Developers in ${MOTO_ACCOUNT} (home)`;
    expect(r?.outcome).toBe(detail);
    expect((await t.store.reviews.getItem(ITEM))?.revocation).toEqual({
      status: 'done',
      requestId: id,
      at: clock.now().toISOString(),
      detail,
    });
    const events = (await t.store.audit.recent({ target: 'alice', limit: 20 })).map(
      (e) => `${e.action}:${e.outcome}:${e.actor}`,
    );
    expect(events).toContain(`review.revoke:success:${USERS.groupApprover}`);
    expect(events).toContain(`request.revoke:requested:${USERS.approver}`);
    expect(events).toContain(`request.revoke:success:${USERS.groupApprover}`);
  });

  it('denied: the item says denied, by whom; IAM untouched', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(false), clock });
    const item = await decidedItem(t, USERS.requester);
    await requestRevocation(t.deps, item, USERS.requester);
    const id = (await t.store.reviews.getItem(ITEM))?.revocation?.requestId ?? '';
    expect(await denyRequest(t.deps, USERS.approver, id)).toBeUndefined();
    expect((await t.store.reviews.getItem(ITEM))?.revocation).toMatchObject({
      status: 'denied',
      requestId: id,
      detail: `denied by <@${USERS.approver}>`,
    });
    expect(await groupsOf(moto, 'alice')).toEqual(['Developers', 'ReadOnly']);
  });

  it('failed: the item says failed, with the failure line', async () => {
    t = await startBot({
      fake,
      moto,
      config: reviewConfig(false),
      clock,
      ops: (_ctx, real) => ({
        ...real,
        reviews: {
          ...real.reviews,
          revoke: async () => {
            throw new Error('AccessDenied: not authorized to perform iam:RemoveUserFromGroup');
          },
        },
      }),
    });
    const item = await decidedItem(t, USERS.requester);
    await requestRevocation(t.deps, item, USERS.requester);
    const id = (await t.store.reviews.getItem(ITEM))?.revocation?.requestId ?? '';
    await approveRequest(t.deps, USERS.approver, id);
    expect((await t.store.getRequest(id))?.status).toBe('failed');
    expect((await t.store.reviews.getItem(ITEM))?.revocation).toMatchObject({
      status: 'failed',
      requestId: id,
      detail: 'AccessDenied: not authorized to perform iam:RemoveUserFromGroup',
    });
  });

  it('expired: the item says expired', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(false), clock });
    const item = await decidedItem(t, USERS.requester);
    await requestRevocation(t.deps, item, USERS.requester);
    const id = (await t.store.reviews.getItem(ITEM))?.revocation?.requestId ?? '';
    clock.advance(73 * 3_600_000);
    await expireRequests(t.deps);
    expect((await t.store.getRequest(id))?.status).toBe('expired');
    expect((await t.store.reviews.getItem(ITEM))?.revocation).toMatchObject({
      status: 'expired',
      requestId: id,
    });
  });
  it('left running by a killed bot: recovery runs it again (it only removes access), and the item is done', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(false), clock });
    const item = await decidedItem(t, USERS.requester);
    await requestRevocation(t.deps, item, USERS.requester);
    const id = (await t.store.reviews.getItem(ITEM))?.revocation?.requestId ?? '';
    // What a kill -9 right after the approval leaves: the request approving, nothing run.
    expect((await t.store.approve(id, USERS.approver, clock.now())).result).toBe('approved');
    clock.advance(1_000);
    expect(await recoverAtStart(t.deps, { startedAt: clock.now(), exclusive: true })).toBe(1);
    expect(await groupsOf(moto, 'alice')).toEqual(['ReadOnly']);
    expect((await t.store.getRequest(id))?.status).toBe('done');
    expect((await t.store.reviews.getItem(ITEM))?.revocation).toMatchObject({
      status: 'done',
      requestId: id,
      detail: expect.stringContaining(`removed alice from group Developers in ${MOTO_ACCOUNT} (home)`),
    });
  });
});

describe('review.revoke_without_approval', () => {
  it('an approver reviewer: revoked at once, no request, the item done', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(true), clock });
    const item = await decidedItem(t, USERS.approver);
    const line = await requestRevocation(t.deps, item, USERS.approver);
    const detail = `removed alice from group Developers in ${MOTO_ACCOUNT} (home)`;
    expect(line).toBe(`Revoked at once: ${detail}.`);
    expect(await groupsOf(moto, 'alice')).toEqual(['ReadOnly']);
    expect((await t.store.reviews.getItem(ITEM))?.revocation).toEqual({
      status: 'done',
      at: clock.now().toISOString(),
      detail,
    });
    expect(await t.store.listPending()).toEqual([]);
    expect(approvalPosts()).toEqual([]);
    const events = (await t.store.audit.recent({ target: 'alice', limit: 20 })).map(
      (e) => `${e.action}:${e.outcome}:${e.actor}:${e.requestId}`,
    );
    expect(events).toEqual([`review.revoke:success:${USERS.approver}:${ITEM}`]);
  });

  it('a reviewer who is not an approver still files a request', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(true), clock });
    const item = await decidedItem(t, USERS.requester);
    const line = await requestRevocation(t.deps, item, USERS.requester);
    expect(line).toMatch(/^Revocation filed for approval: request `/);
    expect((await t.store.reviews.getItem(ITEM))?.revocation?.status).toBe('requested');
    expect(approvalPosts()).toHaveLength(1);
    expect(await groupsOf(moto, 'alice')).toEqual(['Developers', 'ReadOnly']);
  });

  it('a failure at once: the item says failed', async () => {
    t = await startBot({ fake, moto, config: reviewConfig(true), clock });
    const item = await decidedItem(t, USERS.approver);
    // An item the core refuses before any call (a name IAM cannot hold).
    const bad = { ...item, entitlement: { kind: 'group' as const, name: 'Devs/../x' } };
    const line = await requestRevocation(t.deps, bad, USERS.approver);
    expect(line).toMatch(/^Revocation failed: entitlement: .* is not a valid IAM group name/);
    expect((await t.store.reviews.getItem(ITEM))?.revocation?.status).toBe('failed');
    expect(await groupsOf(moto, 'alice')).toEqual(['Developers', 'ReadOnly']);
  });
});
