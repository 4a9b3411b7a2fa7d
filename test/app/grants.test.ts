import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HOME_ACTIONS } from '../../src/views/app-home.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { GRANT_ACTIONS } from '../../src/views/grant-messages.js';
import { BREAK_GLASS_CALLBACK, GRANT_BLOCKS, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
import { requestIdFrom, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { grantValues, groupsOf, ownUser } from '../helpers/grants.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import {
  buttonClick,
  sendCommand,
  sendInteraction,
  sendSigned,
  viewSubmission,
} from '../helpers/slack-requests.js';

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
  await createGroups(moto.iam(), ['ProdDebug', 'IncidentResponse']);
  fake.reset();
  seedSlack(fake);
  t = await startBot({ fake, moto });
});

function submit(callbackId: string, values: ReturnType<typeof grantValues>, user: string = USERS.requester) {
  return sendInteraction(t.url, viewSubmission({ user, callbackId, values }));
}

describe('time-bound access over Slack', () => {
  it('/aws-user request opens the modal with the allow-listed groups and policies', async () => {
    await sendCommand(t.url, { text: 'request', user_id: USERS.requester, response_url: fake.responseUrl() });
    const open = await fake.waitForCall('views.open');
    const view = open.body.view as { callback_id: string };
    expect(view.callback_id).toBe(GRANT_REQUEST_CALLBACK);
    expect(JSON.stringify(view)).toContain('group:ProdDebug');
  });

  it('request → approval → group added with an I’m done DM → I’m done removes it at once', async () => {
    await ownUser(moto, 'rita', 'developer');
    const res = await submit(
      GRANT_REQUEST_CALLBACK,
      grantValues({ access: 'group:ProdDebug', minutes: 60, reason: 'debug prod' }),
    );
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    expect(String(msg.body.text ?? JSON.stringify(msg.body.blocks))).toMatch(/Temporary access/);
    const id = requestIdFrom(msg);

    // The requester cannot approve their own grant.
    await sendInteraction(t.url, buttonClick({ user: USERS.requester, actionId: APPROVE_ACTION, value: id }));
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() =>
      fake
        .callsTo('chat.postMessage')
        .some((c) => JSON.stringify(c.body.blocks ?? '').includes(GRANT_ACTIONS.done)),
    );
    expect(await groupsOf(moto, 'rita')).toEqual(['ProdDebug']);
    const grants = await t.store.grants.listActive({ username: 'rita' });
    expect(grants).toHaveLength(1);
    const g = grants[0];
    if (!g) throw new Error('no grant');

    // A stranger's click changes nothing.
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.stranger, actionId: GRANT_ACTIONS.done, value: g.id, channel: 'D0RITA' }),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await groupsOf(moto, 'rita')).toEqual(['ProdDebug']);

    // The click comes from the DM the bot recorded for this grant: that is the message it updates.
    const dm = (await t.store.grants.get(g.id))?.messages?.[0];
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.requester,
        actionId: GRANT_ACTIONS.done,
        value: g.id,
        channel: dm?.channel,
        messageTs: dm?.ts,
      }),
    );
    await fake.waitFor(() =>
      fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Revoked')),
    );
    expect(await groupsOf(moto, 'rita')).toEqual([]);
    expect((await t.store.grants.get(g.id))?.status).toBe('revoked');
  });

  it('names the field when the choice is not on the caller’s template allow-list', async () => {
    await ownUser(moto, 'rita', 'developer');
    const res = await submit(
      GRANT_REQUEST_CALLBACK,
      grantValues({ access: 'group:IncidentResponse', minutes: 60, reason: 'x y z' }),
    );
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: { [GRANT_BLOCKS.access]: expect.stringMatching(/not grantable for template developer/) },
    });
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('break-glass is refused inline on a template not configured for it, and nothing changes in IAM', async () => {
    await ownUser(moto, 'rita', 'developer');
    const res = await submit(
      BREAK_GLASS_CALLBACK,
      grantValues({ access: 'group:ProdDebug', minutes: 30, reason: 'prod is on fire, need access' }),
    );
    expect(JSON.stringify(res.json())).toMatch(/not configured for break-glass/);
    expect(await groupsOf(moto, 'rita')).toEqual([]);
  });

  it('break-glass on a configured template grants at once and tells the approvals channel and the admins', async () => {
    await ownUser(moto, 'rita', 'readonly');
    const res = await submit(
      BREAK_GLASS_CALLBACK,
      grantValues({ access: 'group:IncidentResponse', minutes: 30, reason: 'prod is on fire, need access' }),
    );
    expect(res.text).toBe('');
    await fake.waitFor(() => fake.callsTo('chat.postMessage').some((c) => c.body.channel === USERS.admin));
    expect(await groupsOf(moto, 'rita')).toEqual(['IncidentResponse']);
    const broadcast = fake.callsTo('chat.postMessage').find((c) => c.body.channel === 'C0APPROVALS');
    expect(JSON.stringify(broadcast?.body.blocks)).toContain(GRANT_ACTIONS.adminRevoke);
    const g = (await t.store.grants.listActive({ username: 'rita' }))[0];
    // A non-admin cannot use the admin's one-click revoke; the admin can.
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: GRANT_ACTIONS.adminRevoke, value: g?.id ?? '' }),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await groupsOf(moto, 'rita')).toEqual(['IncidentResponse']);
    const onChannel = g?.messages?.find((m) => m.channel === 'C0APPROVALS');
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.admin,
        actionId: GRANT_ACTIONS.adminRevoke,
        value: g?.id ?? '',
        channel: onChannel?.channel,
        messageTs: onChannel?.ts,
      }),
    );
    await fake.waitFor(() => fake.callsTo('chat.update').length > 0);
    expect(await groupsOf(moto, 'rita')).toEqual([]);
  });

  it('App Home shows the caller’s IAM users, MFA status and active grants, with self-service buttons', async () => {
    await ownUser(moto, 'rita', 'developer');
    const event = {
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      event: {
        type: 'app_home_opened',
        user: USERS.requester,
        channel: 'D0RITA',
        tab: 'home',
        event_ts: '1.1',
      },
      event_id: 'Ev0HOME',
      event_time: Math.floor(Date.now() / 1000),
    };
    const res = await sendSigned(t.url, JSON.stringify(event), 'application/json');
    expect(res.status).toBe(200);
    const pub = await fake.waitForCall('views.publish');
    expect(pub.body.user_id).toBe(USERS.requester);
    const text = JSON.stringify(pub.body.view);
    expect(text).toContain('*rita*');
    expect(text).toContain(':x: not enabled');
    expect(text).toContain(HOME_ACTIONS.enrollMfa);
    expect(text).toContain('Active grants');
  });
});
