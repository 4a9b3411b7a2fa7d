import {
  CreateGroupCommand,
  DescribeUserCommand,
  ListGroupMembershipsForMemberCommand,
} from '@aws-sdk/client-identitystore';
import { ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../src/config.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import {
  botConfig,
  createValues,
  requestIdFrom,
  seedSlack,
  startBot,
  submitCreate,
  type TestBot,
  USERS,
} from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendCommand, sendInteraction } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
let store = '';
let config: ReturnType<typeof botConfig>;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

const PORTAL = 'https://d-1234567890.awsapps.com/start';

beforeEach(async () => {
  await t?.stop();
  await moto.reset();
  store = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0]?.IdentityStoreId ?? '';
  await moto
    .identityStore()
    .send(new CreateGroupCommand({ IdentityStoreId: store, DisplayName: 'Engineers' }));
  fake.reset();
  seedSlack(fake);
  fake.addUser({ id: USERS.alice, name: 'alice', real_name: 'Alice Liddell', email: 'alice@example.com' });
  const base = botConfig(fake);
  const file = parseFileConfig(
    {
      templates: {
        'sso-engineer': {
          description: 'IAM Identity Center engineer',
          identity_center: { groups: ['Engineers'] },
        },
      },
      identity_center: { region: 'us-east-1', portal_url: PORTAL },
    },
    'test.yml',
  );
  config = {
    ...base,
    templates: { ...base.templates, ...file.templates },
    ...(file.identity_center ? { identity_center: file.identity_center } : {}),
  };
  t = await startBot({ fake, moto, config });
});

async function until(ok: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function userNamed(userName: string) {
  const { identityCenter } = await import('../../src/core/identity-center/directory.js');
  const id = await identityCenter({ config, clients: moto.clients() }).userId({ userName });
  return id;
}

describe('IAM Identity Center people through the real receiver', () => {
  it('an approved create from an identity_center template makes the Identity Store user; the DM has no password and says how to sign in', async () => {
    const sub = await submitCreate(t, createValues({ template: 'sso-engineer', username: 'alice.l' }));
    expect(sub.status).toBe(200);
    expect(sub.text).toBe('');
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    expect(JSON.stringify(msg.body.blocks)).toContain('Create IAM Identity Center user');
    const id = requestIdFrom(msg);
    expect(await t.store.getRequest(id)).toMatchObject({ status: 'pending', identityCenter: true });
    expect(await userNamed('alice.l')).toBeUndefined();

    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(
      () => fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')),
      15_000,
      'done update',
    );
    const userId = await userNamed('alice.l');
    expect(userId).toBeDefined();
    const u = await moto
      .identityStore()
      .send(new DescribeUserCommand({ IdentityStoreId: store, UserId: userId }));
    expect(u).toMatchObject({
      DisplayName: 'Alice Liddell',
      Name: { GivenName: 'Alice', FamilyName: 'Liddell' },
      Emails: [{ Value: 'alice@example.com', Type: 'work', Primary: true }],
    });
    const m = await moto.identityStore().send(
      new ListGroupMembershipsForMemberCommand({
        IdentityStoreId: store,
        MemberId: { UserId: userId ?? '' },
      }),
    );
    expect(m.GroupMemberships).toHaveLength(1);
    expect(t.iamCommands).not.toContain('CreateUser');

    const dm = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === `D${USERS.alice}` && String(c.body.text).includes('Identity Center'),
    );
    const text = String(dm.body.text);
    expect(text).toContain(PORTAL);
    expect(text).toContain('No password was created or sent');
    expect(text).toContain('Send email OTP for users created from API');
    expect(text).not.toMatch(/password:|invited you/i);
    expect(
      fake.callsTo('chat.postMessage').some((c) => /Initial console password/.test(String(c.body.text))),
    ).toBe(false);
    expect(await t.store.getRequest(id)).toMatchObject({ status: 'done' });
  });

  it('refuses extra IAM groups and a duration inline for an Identity Center template', async () => {
    const sub = await submitCreate(
      t,
      createValues({ template: 'sso-engineer', username: 'alice.l', groups: 'Finance', duration: '8' }),
    );
    expect(sub.status).toBe(200);
    const errors = (JSON.parse(sub.text) as { errors: Record<string, string> }).errors;
    expect(errors.extra_groups).toMatch(/IAM Identity Center user: extra IAM groups do not apply/);
    expect(errors.duration).toMatch(/cannot be temporary/);
  });

  it('/aws-user offboard <name> identity-center files an explicit Identity Center offboarding that removes the memberships', async () => {
    await submitCreate(t, createValues({ template: 'sso-engineer', username: 'alice.l' }));
    const created = requestIdFrom(
      await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS'),
    );
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: created }),
    );
    await until(async () => (await t.store.getRequest(created))?.status === 'done', 'created');
    fake.reset();
    seedSlack(fake);
    await sendCommand(t.url, {
      text: 'offboard alice.l identity-center left the company',
      user_id: USERS.requester,
      response_url: fake.responseUrl(),
    });
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    expect(JSON.stringify(msg.body.blocks)).toContain('Offboard IAM Identity Center user');
    const id = requestIdFrom(msg);
    await sendInteraction(t.url, buttonClick({ user: USERS.admin, actionId: APPROVE_ACTION, value: id }));
    await until(async () => (await t.store.getRequest(id))?.status === 'done', 'offboarded');
    expect((await t.store.getRequest(id))?.outcome).toMatch(
      /offboarded IAM Identity Center user `alice.l`: removed 1 group membership\(s\) and 0 account assignment\(s\); deleted on or after \d{4}-\d{2}-\d{2}/,
    );
  });
});
