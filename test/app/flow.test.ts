import { GetUserCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVE_ACTION, DENY_ACTION } from '../../src/views/approval.js';
import { CREATE_CALLBACK } from '../../src/views/create-modal.js';
import {
  createValues,
  requestIdFrom,
  seedSlack,
  startBot,
  submitCreate,
  type TestBot,
  USERS,
} from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendCommand, sendInteraction } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

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
  await createGroups(moto.iam(), ['Developers', 'ReadOnly', 'Administrators', 'Finance']);
  fake.reset();
  seedSlack(fake);
  t = await startBot({ fake, moto });
});

async function pendingRequestId(): Promise<string> {
  const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  return requestIdFrom(msg);
}

function ephemeralTo(user: string): string[] {
  return fake
    .callsTo('chat.postEphemeral')
    .filter((c) => c.body.user === user)
    .map((c) => String(c.body.text));
}

describe('create → approve → create once → DM', () => {
  it('opens the modal on a signed /aws-user create', async () => {
    const res = await sendCommand(t.url, {
      text: 'create',
      user_id: USERS.requester,
      response_url: fake.responseUrl(),
    });
    expect(res.status).toBe(200);
    const open = await fake.waitForCall('views.open');
    expect((open.body.view as { callback_id: string }).callback_id).toBe(CREATE_CALLBACK);
  });

  it('creates the IAM user once on approval and DMs the password only to its owner', async () => {
    const sub = await submitCreate(t);
    expect(sub.status).toBe(200);
    expect(sub.text).toBe('');
    const id = await pendingRequestId();
    const pending = await t.store.getRequest(id);
    expect(pending).toMatchObject({
      status: 'pending',
      requester: USERS.requester,
      template: 'developer',
      target: { username: 'alice', email: 'alice@example.com', slackUserId: USERS.alice },
      approvalsNeeded: 1,
    });

    const click = await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }),
    );
    expect(click.status).toBe(200);
    await fake.waitFor(
      () =>
        t.iamCommands.includes('CreateLoginProfile') &&
        fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')),
      15_000,
      'done update',
    );

    const user = await moto.iam().send(new GetUserCommand({ UserName: 'alice' }));
    expect(user.User?.Tags).toContainEqual({ Key: 'SlackUserId', Value: USERS.alice });
    const groups = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'alice' }));
    expect(groups.Groups?.map((g) => g.GroupName).sort()).toEqual(['Developers', 'ReadOnly']);
    expect(t.iamCommands.filter((c) => c === 'CreateUser')).toHaveLength(1);

    await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === `D${USERS.alice}` && String(c.body.text).includes('password'),
    );
    const dms = fake
      .callsTo('chat.postMessage')
      .filter((c) => String(c.body.text).includes('Initial console password'));
    expect(dms).toHaveLength(1);
    expect(dms[0]?.body.channel).toBe(`D${USERS.alice}`);
    expect(String(dms[0]?.body.text)).toContain('https://123456789012.signin.aws.amazon.com/console');
    expect(fake.callsTo('conversations.open').some((c) => c.body.users === USERS.alice)).toBe(true);

    const done = await t.store.getRequest(id);
    expect(done).toMatchObject({ status: 'done', decidedBy: USERS.approver });
    await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === `D${USERS.requester}` && String(c.body.text).includes('is done'),
    );

    // A later clicker is told who acted and when; nothing runs again.
    await sendInteraction(t.url, buttonClick({ user: USERS.admin, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => ephemeralTo(USERS.admin).length > 0);
    expect(ephemeralTo(USERS.admin)[0]).toMatch(
      new RegExp(`already approved by <@${USERS.approver}> at \\d{4}-`),
    );
    expect(t.iamCommands.filter((c) => c === 'CreateUser')).toHaveLength(1);

    const events = await t.store.audit.recent({ target: 'alice', limit: 20 });
    expect(events.map((e) => `${e.action}:${e.outcome}`)).toEqual(
      expect.arrayContaining([
        'request.create:requested',
        'request.create:approved',
        'user.create:success',
        'request.create:success',
      ]),
    );
  });

  it('refuses self-approval and unauthorised clicks, and counts group members as approvers', async () => {
    await submitCreate(t);
    const id = await pendingRequestId();
    await sendInteraction(t.url, buttonClick({ user: USERS.requester, actionId: APPROVE_ACTION, value: id }));
    await sendInteraction(t.url, buttonClick({ user: USERS.stranger, actionId: APPROVE_ACTION, value: id }));
    await sendInteraction(t.url, buttonClick({ user: USERS.alice, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() =>
      [USERS.requester, USERS.stranger, USERS.alice].every((u) => ephemeralTo(u).length > 0),
    );
    expect(ephemeralTo(USERS.requester)[0]).toContain('cannot approve your own request');
    expect(ephemeralTo(USERS.stranger)[0]).toContain('Only a configured approver');
    expect(ephemeralTo(USERS.alice)[0]).toContain('cannot approve access for yourself');
    expect((await t.store.getRequest(id))?.status).toBe('pending');
    expect(t.iamCommands).not.toContain('CreateUser');

    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.groupApprover, actionId: APPROVE_ACTION, value: id }),
    );
    await fake.waitFor(() => t.iamCommands.includes('CreateUser'), 15_000, 'CreateUser');
    expect(fake.callsTo('usergroups.users.list')[0]?.body.usergroup).toBe('S0SECURITY');
  });

  it('needs two distinct approvers for a two-approval template, and only admins for admin_only', async () => {
    await submitCreate(t, createValues({ template: 'admin', username: 'root-ish' }));
    const id = await pendingRequestId();
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => ephemeralTo(USERS.approver).length > 0);
    expect(ephemeralTo(USERS.approver)[0]).toContain('Only an admin');
    await sendInteraction(t.url, buttonClick({ user: USERS.admin, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => ephemeralTo(USERS.admin).length > 0);
    expect(ephemeralTo(USERS.admin)[0]).toContain('counted (1/2)');
    await sendInteraction(t.url, buttonClick({ user: USERS.admin, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => ephemeralTo(USERS.admin).length > 1);
    expect(ephemeralTo(USERS.admin)[1]).toContain('already approved');
    expect((await t.store.getRequest(id))?.status).toBe('pending');
    expect(t.iamCommands).not.toContain('CreateUser');
  });

  it('denies: the request closes, the requester is told, and a later approve is refused', async () => {
    await submitCreate(t);
    const id = await pendingRequestId();
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: DENY_ACTION, value: id }));
    await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === `D${USERS.requester}` && String(c.body.text).includes('denied'),
    );
    await sendInteraction(t.url, buttonClick({ user: USERS.approver2, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => ephemeralTo(USERS.approver2).length > 0);
    expect(ephemeralTo(USERS.approver2)[0]).toContain(`already denied by <@${USERS.approver}>`);
    expect(t.iamCommands).not.toContain('CreateUser');
  });

  it('records a temporary grant for a request with a duration, ended by the temporary-access job', async () => {
    await submitCreate(t, createValues({ duration: '8' }));
    const id = await pendingRequestId();
    expect((await t.store.getRequest(id))?.durationHours).toBe(8);
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    const done = await fake.waitForCall('chat.update', (c) => String(c.body.text).includes('Done'), 15_000);
    expect(JSON.stringify(done.body.blocks)).toContain('temporary: access is removed at');
    expect(await t.store.takeDueTemporaryUsers(new Date(Date.now() + 7 * 3_600_000))).toEqual([]);
    const due = await t.store.takeDueTemporaryUsers(new Date(Date.now() + 9 * 3_600_000));
    expect(due).toMatchObject([{ id, username: 'alice', owner: USERS.alice, requester: USERS.requester }]);
    // The end is in IAM too, so a lost store still ends the user (core/reconcile.ts).
    const user = await moto.iam().send(new GetUserCommand({ UserName: 'alice' }));
    expect(user.User?.Tags).toContainEqual({
      Key: 'aws-user:temporary-until',
      Value: `${due[0]?.endsAt} request:${id} requester:${USERS.requester}`,
    });
  });

  it('refuses an approval click on an expired request', async () => {
    await submitCreate(t);
    const id = await pendingRequestId();
    const r = await t.store.getRequest(id);
    // Move the request's window into the past, as if 72 h had gone by.
    const key = (await t.store.redis.keys(`*req:${id}`))[0] as string;
    const raw = JSON.parse((await t.store.redis.get(key)) as string);
    raw.expiresAtMs = Date.now() - 1000;
    raw.expiresAt = new Date(raw.expiresAtMs).toISOString();
    await t.store.redis.set(key, JSON.stringify(raw), 'KEEPTTL');
    expect(r?.status).toBe('pending');
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => ephemeralTo(USERS.approver).length > 0);
    expect(ephemeralTo(USERS.approver)[0]).toContain('expired');
    expect((await t.store.getRequest(id))?.status).toBe('expired');
    expect(t.iamCommands).not.toContain('CreateUser');
  });
});
