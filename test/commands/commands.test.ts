import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { botConfig, requestIdFrom, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
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
  fake.reset();
  seedSlack(fake);
  t = await startBot({ fake, moto });
});

let n = 0;
/** Runs a subcommand and returns what the caller saw: the ack's own text, or the response_url reply. */
async function run(text: string, user: string = USERS.requester): Promise<string> {
  const tag = `r${++n}`;
  const res = await sendCommand(t.url, { text, user_id: user, response_url: fake.responseUrl(tag) });
  expect(res.status).toBe(200);
  if (res.text) {
    const body = res.json();
    expect(body.response_type).toBe('ephemeral');
    return String(body.text);
  }
  const reply = await fake.waitForCall('response_url', (c) => c.path === `/response/${tag}`);
  expect(reply.body.response_type).toBe('ephemeral');
  return String(reply.body.text);
}

async function aliceWithGroups() {
  await createGroups(moto.iam(), ['Developers']);
  await moto.iam().send(
    new CreateUserCommand({
      UserName: 'alice',
      Tags: [
        { Key: 'SlackUserId', Value: USERS.alice },
        { Key: 'Email', Value: 'alice@example.com' },
      ],
    }),
  );
}

describe('/aws-user router', () => {
  it('answers help (and an empty command) with every subcommand', async () => {
    for (const text of ['help', '']) {
      const out = await run(text);
      for (const sub of [
        'create',
        'onboard',
        'offboard',
        'rotate-keys',
        'mfa',
        'pending',
        'audit',
        'whoami',
      ]) {
        expect(out).toContain(`/aws-user ${sub}`);
      }
    }
  });

  it('answers an unknown subcommand with usage, escaped, in the ack itself', async () => {
    const out = await run('<!channel>');
    expect(out).toMatch(/^Unknown subcommand `!channel`/);
    expect(out).not.toContain('<!channel>');
    expect(out).toContain('/aws-user help');
  });

  it.each([
    ['create now', 'takes no arguments'],
    ['offboard', 'needs the IAM user name'],
    ['offboard bad/name', 'is not an IAM user name'],
    ['audit a b', 'at most one'],
    ['mfa a b c', 'at most'],
    ['pending please', 'takes no arguments'],
  ])('answers bad arguments "%s" with the usage', async (text, why) => {
    const out = await run(text);
    expect(out).toContain(why);
    expect(out).toContain('Usage: `/aws-user');
  });
});

describe('/aws-user whoami, pending, audit', () => {
  it('whoami lists the caller’s IAM users and their role', async () => {
    await aliceWithGroups();
    const out = await run('whoami', USERS.alice);
    expect(out).toContain('requester');
    expect(out).toContain('`alice`');
    expect(await run('whoami', USERS.admin)).toContain('admin');
    expect(await run('whoami', USERS.groupApprover)).toContain('approver');
    expect(await run('whoami', USERS.stranger)).toContain('No IAM user is tagged');
  });

  it('pending lists open requests; audit shows the trail to approvers only', async () => {
    await aliceWithGroups();
    expect(await run('pending')).toBe('No pending requests.');
    await run('offboard alice leaving the company', USERS.requester);
    const pending = await run('pending');
    expect(pending).toContain('offboard `alice`');
    expect(await run('audit alice', USERS.stranger)).toContain('Only approvers and admins');
    const trail = await run('audit alice', USERS.approver);
    expect(trail).toContain('request.offboard');
    expect(trail).toContain('requested');
  });
});

describe('/aws-user offboard', () => {
  it('needs an admin to approve, then cuts the user’s access', async () => {
    await aliceWithGroups();
    await moto.iam().send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'Developers' }));
    const out = await run('offboard alice leaving', USERS.requester);
    expect(out).toContain('waiting for an admin');
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    const id = requestIdFrom(msg);
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    const refused = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.approver);
    expect(refused.body.text).toContain('Only an admin');
    await sendInteraction(t.url, buttonClick({ user: USERS.admin, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')));
    const groups = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'alice' }));
    expect(groups.Groups).toEqual([]);
  });

  it('says so when the user does not exist', async () => {
    expect(await run('offboard ghost')).toContain('No IAM user `ghost`');
  });

  it('looks the user up, records and executes the request in one account: the home one, by the README rule', async () => {
    // home_account unset and accounts[0] reached by a role: the home account is the first without role_arn.
    // The bug: the user was checked with the bot's own credentials, but the request was recorded (and
    // executed) in accounts[0], so an admin's approval offboarded nobody there, or somebody else.
    await t.stop();
    const member = '210987654321';
    t = await startBot({
      fake,
      moto,
      config: botConfig(fake, {
        accounts: [
          {
            id: member,
            name: 'prod',
            role_arn: `arn:aws:iam::${member}:role/aws-user-bot`,
            region: 'us-east-1',
          },
          { id: MOTO_ACCOUNT, name: 'main', region: 'us-east-1' },
        ],
      }),
    });
    await aliceWithGroups();
    await moto.iam().send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'Developers' }));
    expect(await run('offboard alice leaving', USERS.requester)).toContain('waiting for an admin');
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    const id = requestIdFrom(msg);
    expect((await t.store.getRequest(id))?.account).toBe(MOTO_ACCOUNT);
    await sendInteraction(t.url, buttonClick({ user: USERS.admin, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() => fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')));
    const groups = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'alice' }));
    expect(groups.Groups).toEqual([]);
    expect(t.ctx.clients.assumeRoleCalls).toBe(0);
  });
});

describe('/aws-user rotate-keys', () => {
  it('sends the new secret only to the owner by DM', async () => {
    await aliceWithGroups();
    await moto.iam().send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const out = await run('rotate-keys alice', USERS.admin);
    expect(out).toMatch(/New access key `AKIA\w+` for `alice` sent to <@UALICE0001> by DM/);
    const dm = await fake.waitForCall('chat.postMessage', (c) =>
      String(c.body.text).includes('Secret access key'),
    );
    expect(dm.body.channel).toBe(`D${USERS.alice}`);
    const secret = /Secret access key: `([^`]+)`/.exec(String(dm.body.text))?.[1] as string;
    expect(fake.calls.filter((c) => c !== dm && JSON.stringify(c.body).includes(secret))).toEqual([]);
    expect(t.logs()).not.toContain(secret);
    const keys = await moto.iam().send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(keys.AccessKeyMetadata).toHaveLength(2);
  });

  it('refuses someone else’s user to a non-admin', async () => {
    await aliceWithGroups();
    expect(await run('rotate-keys alice', USERS.stranger)).toContain('not your IAM user');
  });
});
