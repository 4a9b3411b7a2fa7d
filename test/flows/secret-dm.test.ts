import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetUserCommand,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, httpReply, startFakeSlack } from '../helpers/fake-slack.js';
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
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  fake.reset();
  seedSlack(fake);
  t = await startBot({ fake, moto });
});
afterEach(() => {
  fake.off('chat.postMessage').off('conversations.open');
});

const toOwner = (b: Record<string, unknown>) => b.channel === `D${USERS.alice}` || b.users === USERS.alice;

function pending(id: string): PendingRequest {
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
  };
}

async function approveCreate(id: string): Promise<PendingRequest> {
  await t.store.createRequest(pending(id));
  await t.store.setRequestMessage(id, { channel: 'C0APPROVALS', ts: '1700000000.000100' });
  await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
  await fake.waitFor(
    () => fake.callsTo('chat.update').some((c) => /Done|Failed/i.test(String(c.body.text))),
    30_000,
    'the final chat.update',
  );
  const r = await t.store.getRequest(id);
  if (!r) throw new Error('request vanished');
  return r;
}

/** The approvers' message as last drawn, text and blocks. */
function lastApprovalMessage(): string {
  const last = fake.callsTo('chat.update').at(-1);
  return JSON.stringify(last?.body ?? {});
}

describe('an initial password whose DM cannot be delivered', () => {
  it.each([
    [
      'chat.postMessage answers HTTP 503 past the retries',
      'Slack answered HTTP 503',
      'chat.postMessage',
      () => httpReply(503),
    ],
    [
      'chat.postMessage answers 429 with Retry-After past the retries',
      'Slack kept rate-limiting',
      'chat.postMessage',
      () => httpReply(429, { 'retry-after': '1' }),
    ],
    [
      'the owner’s DMs are closed (cannot_dm_bot)',
      'Slack said cannot_dm_bot',
      'conversations.open',
      () => ({ ok: false, error: 'cannot_dm_bot' }),
    ],
    [
      'the owner is gone (user_not_found)',
      'Slack said user_not_found',
      'conversations.open',
      () => ({ ok: false, error: 'user_not_found' }),
    ],
  ])(
    '%s: the password is reset, nobody holds one, and the approvers read that it needs a reset',
    async (_label, reason, method, answer) => {
      fake.on(method, (b) => (toOwner(b) ? answer() : undefined));
      const r = await approveCreate(`r-${method}-${reason.length}`);
      expect(r.status).toBe('done');
      expect(r.outcome).toContain('created `alice`');
      expect(r.outcome).toContain(`could NOT be delivered to <@${USERS.alice}> by DM (${reason})`);
      expect(r.outcome).toContain('it was reset and nobody holds it: NEEDS A PASSWORD RESET');
      // The generated password was replaced after the failed send.
      const cmds = t.iamCommands;
      expect(cmds.indexOf('UpdateLoginProfile')).toBeGreaterThan(cmds.indexOf('CreateLoginProfile'));
      expect(lastApprovalMessage()).toContain('NEEDS A PASSWORD RESET');
      const events = await t.store.audit.recent({ target: 'alice', limit: 20 });
      expect(events.map((e) => `${e.action}:${e.outcome}`)).toContain('user.reset-password:success');
      const user = await moto.iam().send(new GetUserCommand({ UserName: 'alice' }));
      expect(user.User).toBeDefined();
    },
  );
});

describe('a new access key whose DM cannot be delivered', () => {
  it('is deleted again, and the old key keeps no rotation schedule', async () => {
    await moto
      .iam()
      .send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'SlackUserId', Value: USERS.alice }] }));
    const old = await moto.iam().send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    fake.on('chat.postMessage', (b) => (toOwner(b) ? httpReply(502) : undefined));
    await sendCommand(t.url, {
      text: 'rotate-keys',
      user_id: USERS.alice,
      response_url: fake.responseUrl('rk'),
    });
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/rk', 30_000);
    expect(reply.body.text).toContain('could not be delivered by DM (Slack answered HTTP 502)');
    expect(reply.body.text).toContain('so it was deleted and nobody holds it');
    const keys = await moto.iam().send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(keys.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([old.AccessKey?.AccessKeyId]);
    const user = await moto.iam().send(new GetUserCommand({ UserName: 'alice' }));
    expect(user.User?.Tags?.filter((tag) => tag.Key?.startsWith('aws-user:rotate:'))).toEqual([]);
    const events = await t.store.audit.recent({ target: 'alice', limit: 10 });
    expect(events.map((e) => `${e.action}:${e.outcome}`)).toContain('key.discard:success');
  });
});

describe('/aws-user reset-password: the fresh password, once DMs work', () => {
  it('resets the owner’s console password and DMs the new one to the owner only', async () => {
    await moto
      .iam()
      .send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'SlackUserId', Value: USERS.alice }] }));
    await moto
      .iam()
      .send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'x-Aa1!x-Aa1!x-Aa1!' }));
    await sendCommand(t.url, {
      text: 'reset-password',
      user_id: USERS.alice,
      response_url: fake.responseUrl('rp'),
    });
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/rp', 20_000);
    expect(reply.body.text).toBe(
      `New console password for \`alice\`: password sent to <@${USERS.alice}> by DM.`,
    );
    const dms = fake
      .callsTo('chat.postMessage')
      .filter((c) => String(c.body.text).includes('console password'));
    expect(dms.map((c) => c.body.channel)).toEqual([`D${USERS.alice}`]);
    expect(t.iamCommands).toContain('UpdateLoginProfile');
  });

  it('someone else’s user is for admins only', async () => {
    await moto
      .iam()
      .send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'SlackUserId', Value: USERS.alice }] }));
    await sendCommand(t.url, {
      text: 'reset-password alice',
      user_id: USERS.stranger,
      response_url: fake.responseUrl('rp2'),
    });
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/rp2', 20_000);
    expect(String(reply.body.text)).toMatch(/admin/i);
    expect(t.iamCommands).not.toContain('UpdateLoginProfile');
  });
});
