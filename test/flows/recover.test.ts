import {
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetLoginProfileCommand,
  ListGroupsForUserCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInput } from '../../src/flows/requests/create.js';
import { LEASE_LAPSED_MS } from '../../src/flows/requests/execute.js';
import { recoverAtStart } from '../../src/flows/requests/recover.js';
import type { PendingRequest } from '../../src/store/types.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
const MESSAGE = { channel: 'C0APPROVALS', ts: '1700000000.000200' };

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(async () => {
  await t?.stop();
  await moto.reset();
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  fake.reset();
  seedSlack(fake);
  t = await startBot({ fake, moto });
});

function request(id: string, over: Partial<PendingRequest> = {}): PendingRequest {
  const now = Date.now();
  return {
    id,
    kind: 'create',
    requester: USERS.requester,
    target: { username: 'alice', email: 'alice@example.com', slackUserId: USERS.alice },
    template: 'developer',
    account: '123456789012',
    justification: 'new hire',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
    ...over,
  };
}

/** What a kill -9 mid-execution leaves in the store: the request approving, its message posted. */
async function leftApproving(r: PendingRequest): Promise<void> {
  await t.store.createRequest(r);
  await t.store.setRequestMessage(r.id, MESSAGE);
  expect((await t.store.approve(r.id, USERS.approver, new Date())).result).toBe('approved');
}

// This process started after the killed one approved: a second later.
const startNow = () => ({ startedAt: new Date(Date.now() + 1_000), exclusive: true });

function updatesOfTheMessage(): string[] {
  return fake
    .callsTo('chat.update')
    .filter((c) => c.body.channel === MESSAGE.channel && c.body.ts === MESSAGE.ts)
    .map((c) => JSON.stringify(c.body));
}

function dmsTo(user: string): string[] {
  return fake
    .callsTo('chat.postMessage')
    .filter((c) => c.body.channel === `D${user}`)
    .map((c) => String(c.body.text));
}

describe('recovery at start of a create the killed bot left approving', () => {
  it('user created, password never sent: done, the password reset and a fresh one DMd to the owner', async () => {
    const r = request('r-created');
    await leftApproving(r);
    // The killed run got this far: the whole user in IAM, its password only in the dead process.
    await t.deps.core.createUser(createInput(r, USERS.alice), { actor: USERS.approver, requestId: r.id });

    expect(await recoverAtStart(t.deps, startNow())).toBe(1);

    const done = await t.store.getRequest(r.id);
    expect(done?.status).toBe('done');
    expect(done?.outcome).toContain('the bot restarted during execution; `alice` exists in IAM as requested');
    expect(done?.outcome).toContain(
      `its initial password was lost with the process, so it was reset and the new password sent to <@${USERS.alice}> by DM`,
    );
    expect(updatesOfTheMessage().at(-1)).toContain('exists in IAM as requested');
    const secret = dmsTo(USERS.alice).filter((text) => text.includes('console password'));
    expect(secret).toHaveLength(1);
    expect(dmsTo(USERS.requester).at(-1)).toContain(`Your request \`${r.id}\` (alice) is done`);
    const profile = await moto.iam().send(new GetLoginProfileCommand({ UserName: 'alice' }));
    expect(profile.LoginProfile?.PasswordResetRequired).toBe(true);
    const events = (await t.store.audit.recent({ target: 'alice', limit: 20 })).map(
      (e) => `${e.action}:${e.outcome}:${e.actor}`,
    );
    expect(events).toContain('user.reset-password:success:system');
    expect(events).toContain('request.create:success:system');
    // The password went to the owner's DM only: not into the outcome, the message or the audit trail.
    const password = /`([^`]{20,})`/.exec(secret[0] ?? '')?.[1] ?? 'missing';
    expect(JSON.stringify(await t.store.getRequest(r.id))).not.toContain(password);
    expect(updatesOfTheMessage().join('')).not.toContain(password);
    expect(t.logs()).not.toContain(password);
  });

  it('half-done create (user and tags, no groups yet): failed, the user left as is and named, nothing guessed', async () => {
    const r = request('r-half');
    await leftApproving(r);
    await t.deps.core.createUser(createInput(r, USERS.alice), { actor: USERS.approver, requestId: r.id });
    await moto.iam().send(new RemoveUserFromGroupCommand({ UserName: 'alice', GroupName: 'ReadOnly' }));

    expect(await recoverAtStart(t.deps, startNow())).toBe(1);

    const failed = await t.store.getRequest(r.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.outcome).toMatch(
      /the bot restarted during execution: `alice` exists in IAM but not as requested \(.*groups are \[Developers\].*\); it was left as is: offboard it, then ask again/,
    );
    expect(updatesOfTheMessage().at(-1)).toContain('not as requested');
    expect(dmsTo(USERS.requester).at(-1)).toContain('failed');
    expect(dmsTo(USERS.alice)).toEqual([]);
    const groups = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'alice' }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['Developers']);
    const events = (await t.store.audit.recent({ target: 'alice', limit: 20 })).map(
      (e) => `${e.action}:${e.outcome}`,
    );
    expect(events).toContain('request.create:failure');
  });

  it('killed before CreateUser: failed, nothing exists in IAM', async () => {
    const r = request('r-none');
    await leftApproving(r);
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    expect(await t.store.getRequest(r.id)).toMatchObject({
      status: 'failed',
      outcome:
        'the bot restarted during execution, before `alice` was created: nothing exists in IAM; ask again',
    });
  });

  it('with Redis, a request whose lease a live replica renews is not taken; once it lapses, it is', async () => {
    const r = request('r-live');
    await leftApproving(r);
    await t.store.renewApproving(r.id, new Date());
    expect(await recoverAtStart(t.deps, { startedAt: new Date(), exclusive: false })).toBe(0);
    expect((await t.store.getRequest(r.id))?.status).toBe('approving');
    const later = new Date(Date.now() + LEASE_LAPSED_MS + 1_000);
    expect(await recoverAtStart(t.deps, { startedAt: later, exclusive: false })).toBe(1);
    expect((await t.store.getRequest(r.id))?.status).toBe('failed');
  });

  it('two replicas starting at once recover a request once', async () => {
    const r = request('r-twice');
    await leftApproving(r);
    await moto.iam().send(new CreateUserCommand({ UserName: 'alice' }));
    await moto
      .iam()
      .send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'x-Aa1!x-Aa1!x-Aa1!' }));
    const counts = await Promise.all([
      recoverAtStart(t.deps, startNow()),
      recoverAtStart(t.deps, startNow()),
    ]);
    expect(counts.sort()).toEqual([0, 1]);
    expect(dmsTo(USERS.requester)).toHaveLength(1);
  });
});

describe('recovery of an offboarding the killed bot left approving', () => {
  it('runs it again (it only takes access away) and finishes it done', async () => {
    const r = request('r-off', { kind: 'offboard', target: { username: 'bob' }, adminOnly: true });
    await moto.iam().send(new CreateUserCommand({ UserName: 'bob' }));
    await moto.iam().send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'x-Aa1!x-Aa1!x-Aa1!' }));
    await leftApproving(r);
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    expect(await t.store.getRequest(r.id)).toMatchObject({
      status: 'done',
      outcome: 'the bot restarted during execution, so it was run again: offboarded `bob`',
    });
    await expect(moto.iam().send(new GetLoginProfileCommand({ UserName: 'bob' }))).rejects.toThrow();
  });
});
