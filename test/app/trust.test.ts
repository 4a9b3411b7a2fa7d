import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { GRANT_ACTIONS } from '../../src/views/grant-messages.js';
import { BREAK_GLASS_CALLBACK, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
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
import { grantValues, groupsOf, ownUser } from '../helpers/grants.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendCommand, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';

/**
 * Issue 10, points 4 and 6, through the real receiver with signed payloads: every field but the signed
 * user is crafted. Slack signs all of it, so this is defence in depth against a leaked signing secret.
 */
let moto: Moto;
let fake: FakeSlack;
/** Somewhere that is not Slack: a crafted response_url points here. */
let elsewhere: FakeSlack;
let t: TestBot;
/** Every chat.postMessage with the ts the fake Slack answered, so a test can click the real message. */
let posted: { channel: string; ts: string; body: Record<string, unknown> }[];

beforeAll(async () => {
  [moto, fake, elsewhere] = await Promise.all([startMoto(), startFakeSlack(), startFakeSlack()]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop(), elsewhere?.stop()]);
});
beforeEach(async () => {
  await t?.stop();
  await moto.reset();
  await createGroups(moto.iam(), ['Developers', 'ReadOnly', 'ProdDebug', 'IncidentResponse']);
  fake.reset();
  elsewhere.reset();
  seedSlack(fake);
  posted = [];
  fake.on('chat.postMessage', (b) => {
    const ts = `${1_800_000_000 + posted.length}.000100`;
    posted.push({ channel: String(b.channel), ts, body: b });
    return { ok: true, channel: b.channel, ts, message: { text: b.text } };
  });
  t = await startBot({ fake, moto });
});

/** Rita breaks glass into IncidentResponse for 30 minutes (readonly is the break-glass template). */
function breakGlassInto(reason: string) {
  return sendInteraction(
    t.url,
    viewSubmission({
      user: USERS.requester,
      callbackId: BREAK_GLASS_CALLBACK,
      values: grantValues({ access: 'group:IncidentResponse', minutes: 30, reason }),
    }),
  );
}

const settle = () => new Promise((r) => setTimeout(r, 400));

/** rita asks for ProdDebug, an approver approves: the grant and the "I'm done" DM the bot posted. */
async function approvedGrant() {
  await ownUser(moto, 'rita', 'developer');
  await sendInteraction(
    t.url,
    viewSubmission({
      user: USERS.requester,
      callbackId: GRANT_REQUEST_CALLBACK,
      values: grantValues({ access: 'group:ProdDebug', minutes: 60, reason: 'debug prod' }),
    }),
  );
  const approval = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  await sendInteraction(
    t.url,
    buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: requestIdFrom(approval) }),
  );
  await fake.waitFor(() =>
    posted.some((p) => JSON.stringify(p.body.blocks ?? '').includes(GRANT_ACTIONS.done)),
  );
  const dm = posted.find((p) => JSON.stringify(p.body.blocks ?? '').includes(GRANT_ACTIONS.done));
  // The approval message's last update says Done: after it, every chat.update is the click's.
  const approvalTs = posted.find((p) => p.channel === 'C0APPROVALS')?.ts;
  await fake.waitFor(() =>
    fake.callsTo('chat.update').some((c) => c.body.ts === approvalTs && String(c.body.text).includes('Done')),
  );
  const grant = (await t.store.grants.listActive({ username: 'rita' }))[0];
  if (!dm || !grant) throw new Error('no grant DM');
  return { grant, dm };
}

describe('grant buttons update only the message the bot recorded for that grant', () => {
  it("I'm done with a crafted channel and ts revokes, and updates no message at all", async () => {
    const { grant } = await approvedGrant();
    const before = fake.callsTo('chat.update').length;
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.requester,
        actionId: GRANT_ACTIONS.done,
        value: grant.id,
        channel: 'C0APPROVALS',
        messageTs: posted.find((p) => p.channel === 'C0APPROVALS')?.ts ?? '1.1',
      }),
    );
    await fake.waitFor(
      () => fake.callsTo('chat.postEphemeral').length + fake.callsTo('chat.update').length > 0,
    );
    await settle();
    expect((await t.store.grants.get(grant.id))?.status).toBe('revoked');
    expect(await groupsOf(moto, 'rita')).toEqual([]);
    expect(fake.callsTo('chat.update').slice(before)).toEqual([]);
  });

  it("I'm done on the recorded DM updates exactly that DM", async () => {
    const { grant, dm } = await approvedGrant();
    const before = fake.callsTo('chat.update').length;
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.requester,
        actionId: GRANT_ACTIONS.done,
        value: grant.id,
        channel: dm.channel,
        messageTs: dm.ts,
      }),
    );
    await fake.waitFor(() => fake.callsTo('chat.update').length > before);
    await settle();
    const updates = fake.callsTo('chat.update').slice(before);
    expect(updates.map((u) => [u.body.channel, u.body.ts])).toEqual([[dm.channel, dm.ts]]);
    expect(String(updates[0]?.body.text)).toMatch(/Revoked/);
  });

  it('Revoke now (admin) with a crafted channel and ts updates nothing; on the broadcast it updates that', async () => {
    await ownUser(moto, 'rita', 'readonly');
    await breakGlassInto('prod is on fire, need it');
    await fake.waitFor(() => posted.some((p) => p.channel === USERS.admin));
    const grant = (await t.store.grants.listActive({ username: 'rita' }))[0];
    if (!grant) throw new Error('no grant');
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.admin,
        actionId: GRANT_ACTIONS.adminRevoke,
        value: grant.id,
        channel: 'C0SOMEWHERE',
        messageTs: '1234.5678',
      }),
    );
    await fake.waitFor(
      () => fake.callsTo('chat.postEphemeral').length + fake.callsTo('chat.update').length > 0,
    );
    await settle();
    expect((await t.store.grants.get(grant.id))?.status).toBe('revoked');
    expect(fake.callsTo('chat.update')).toEqual([]);

    // The same grant again: now the admin clicks the broadcast the bot posted to the approvals channel.
    await breakGlassInto('still on fire, again');
    await fake.waitFor(() => posted.filter((p) => p.channel === 'C0APPROVALS').length === 2);
    const broadcast = posted.filter((p) => p.channel === 'C0APPROVALS')[1];
    if (!broadcast) throw new Error('no broadcast');
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.admin,
        actionId: GRANT_ACTIONS.adminRevoke,
        value: grant.id,
        channel: broadcast.channel,
        messageTs: broadcast.ts,
      }),
    );
    await fake.waitFor(() => fake.callsTo('chat.update').length > 0);
    await settle();
    expect(fake.callsTo('chat.update').map((u) => [u.body.channel, u.body.ts])).toEqual([
      [broadcast.channel, broadcast.ts],
    ]);
  });
});

describe('slash-command replies go only to Slack', () => {
  it('does not post to a response_url on another host, and says so in the log', async () => {
    const res = await sendCommand(t.url, {
      text: 'help',
      user_id: USERS.requester,
      response_url: elsewhere.responseUrl('stolen'),
    });
    expect(res.status).toBe(200);
    await settle();
    expect(elsewhere.calls).toEqual([]);
    expect(t.logs()).toMatch(/response_url/);
  });

  it('still answers through a response_url on the Slack API host', async () => {
    await sendCommand(t.url, {
      text: 'help',
      user_id: USERS.requester,
      response_url: fake.responseUrl('ok'),
    });
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/ok');
    expect(String(reply.body.text)).toMatch(/pending/);
  });
});

describe('text hygiene', () => {
  it('strips bidi overrides and control characters from a justification before it is stored or shown', async () => {
    const res = await submitCreate(
      t,
      createValues({ justification: 'New \u202Eenigneer\u202C for\u2066 the\u0007 team\nsecond line' }),
    );
    expect(res.text).toBe('');
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    const stored = await t.store.getRequest(requestIdFrom(msg));
    expect(stored?.justification).toBe('New enigneer for the team\nsecond line');
    const shown = JSON.stringify(msg.body);
    for (const bad of ['\u202E', '\u202C', '\u2066', '\u0007']) expect(shown).not.toContain(bad);
    expect(shown).toContain('New enigneer for the team');
  });

  it('reads slash-command text without bidi controls: a disguised subcommand is the subcommand', async () => {
    await sendCommand(t.url, {
      text: '\u202Apending\u202C',
      user_id: USERS.admin,
      response_url: fake.responseUrl('bidi'),
    });
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/bidi');
    expect(String(reply.body.text)).not.toMatch(/Unknown subcommand/);
    expect(String(reply.body.text)).toMatch(/pending/i);
  });
});

describe('/aws-user pending shows each person what they may act on, and their own', () => {
  function request(id: string, over: Partial<PendingRequest>): PendingRequest {
    const now = Date.now();
    return {
      id,
      kind: 'create',
      requester: USERS.requester,
      target: { username: id },
      template: 'developer',
      account: MOTO_ACCOUNT,
      justification: 'x',
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

  async function pendingFor(user: string): Promise<string[]> {
    const tag = `p-${user}`;
    await sendCommand(t.url, { text: 'pending', user_id: user, response_url: fake.responseUrl(tag) });
    const reply = await fake.waitForCall('response_url', (c) => c.path === `/response/${tag}`);
    return ['dev-by-rita', 'admin-by-amir', 'admin-by-rita', 'for-alice']
      .filter((id) => String(reply.body.text).includes(id))
      .sort();
  }

  it('a stranger sees nothing; an approver, an admin, a requester and an owner see theirs', async () => {
    await t.store.createRequest(request('dev-by-rita', {}));
    await t.store.createRequest(
      request('admin-by-amir', {
        requester: USERS.approver,
        template: 'admin',
        adminOnly: true,
        approvalsNeeded: 2,
      }),
    );
    await t.store.createRequest(
      request('admin-by-rita', { template: 'admin', adminOnly: true, approvalsNeeded: 2 }),
    );
    await t.store.createRequest(
      request('for-alice', {
        requester: USERS.approver2,
        target: { username: 'for-alice', slackUserId: USERS.alice },
      }),
    );

    expect(await pendingFor(USERS.stranger)).toEqual([]);
    // Approver: the non-admin-only ones they may decide, and their own admin-only request.
    expect(await pendingFor(USERS.approver)).toEqual(['admin-by-amir', 'dev-by-rita', 'for-alice']);
    expect(await pendingFor(USERS.admin)).toEqual([
      'admin-by-amir',
      'admin-by-rita',
      'dev-by-rita',
      'for-alice',
    ]);
    // A requester: only what they filed.
    expect(await pendingFor(USERS.requester)).toEqual(['admin-by-rita', 'dev-by-rita']);
    // An owner: the request for their own access.
    expect(await pendingFor(USERS.alice)).toEqual(['for-alice']);
  });
});
