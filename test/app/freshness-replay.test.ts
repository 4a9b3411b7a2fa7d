import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { requestIdFrom, seedSlack, startBot, submitCreate, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { waitFor } from '../helpers/ports.js';
import {
  buttonClick,
  interactiveBody,
  SIGNING_SECRET,
  sendCommand,
  sendSigned,
  sign,
} from '../helpers/slack-requests.js';

/**
 * Issue 10, point 5: Slack's rule is |now − timestamp| ≤ 5 minutes, on the bot's clock, both ways; and a
 * signed request replayed within that window (to this replica or another on the same store) runs once.
 */

const HOUR_MS = 3_600_000;
const FORM = 'application/x-www-form-urlencoded';

let moto: Moto;
let fake: FakeSlack;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
});
afterAll(async () => {
  await Promise.all([moto?.stop(), fake?.stop()]);
});

function slackCalls() {
  return fake.calls.filter((c) => c.method !== 'auth.test');
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('request freshness, on the injected clock, both directions', () => {
  // The bot's clock runs an hour ahead of the host's: only the injected clock may decide freshness.
  const clock = fixedClock(new Date(Date.now() + HOUR_MS));
  const nowSec = () => Math.floor(clock.now().getTime() / 1000);
  let t: TestBot;
  beforeAll(async () => {
    t = await startBot({ fake, moto, clock });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const cmd = { text: 'help', user_id: USERS.requester };

  it.each([
    ['more than 5 minutes in the future', () => nowSec() + 5 * 60 + 1],
    ['more than 5 minutes in the past', () => nowSec() - 5 * 60 - 1],
    ["the host's time, an hour behind the bot's clock", () => Math.floor(Date.now() / 1000)],
  ])('answers 401 to a request dated %s, with no side effect', async (_what, ts) => {
    fake.reset();
    const res = await sendCommand(t.url, { ...cmd, response_url: fake.responseUrl() }, { timestamp: ts() });
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
    await settle();
    expect(slackCalls()).toEqual([]);
    expect(t.logs()).toMatch(/x-slack-request-timestamp/);
  });

  it.each([
    ['exactly 5 minutes in the future', () => nowSec() + 5 * 60],
    ['exactly 5 minutes in the past', () => nowSec() - 5 * 60],
    ['now', () => nowSec()],
  ])('accepts a request dated %s', async (_what, ts) => {
    fake.reset();
    const res = await sendCommand(t.url, { ...cmd, response_url: fake.responseUrl() }, { timestamp: ts() });
    expect(res.status).toBe(200);
    await fake.waitForCall('response_url');
  });

  it('answers 401 to a signature that differs only in the case of its hex digits', async () => {
    const body = interactiveBody({ type: 'block_actions' });
    const sig = sign(body, SIGNING_SECRET, nowSec());
    const res = await sendSigned(t.url, body, FORM, { timestamp: nowSec(), signature: sig.toUpperCase() });
    expect(res.status).toBe(401);
  });

  it('answers an unsigned ssl_check as Bolt does, and never dispatches what rides along with it', async () => {
    fake.reset();
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: `ssl_check=1&token=x&payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await settle();
    expect(slackCalls()).toEqual([]);
  });
});

describe('replayed signed requests', () => {
  const prefix = `t:replay:${randomBytes(6).toString('hex')}:`;
  let a: TestBot;
  let b: TestBot;
  beforeAll(async () => {
    [a, b] = await Promise.all([startBot({ fake, moto, prefix }), startBot({ fake, moto, prefix })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('acts on one delivery of a signed approve click: the same request replayed to another replica gets 200 and nothing runs', async () => {
    fake.reset();
    await submitCreate(a);
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    const id = requestIdFrom(msg);
    const body = interactiveBody(
      buttonClick({
        user: USERS.approver,
        actionId: APPROVE_ACTION,
        value: id,
        responseUrl: fake.responseUrl(),
      }),
    );
    const ts = Math.floor(Date.now() / 1000);
    const signed = { timestamp: ts, signature: sign(body, SIGNING_SECRET, ts) };

    const first = await sendSigned(a.url, body, FORM, signed);
    expect(first.status).toBe(200);
    await waitFor(async () => (await a.store.getRequest(id))?.status === 'done', 15_000, 'the approval ran');
    // The approval message's final update and the requester's outcome DM go out after the store says done;
    // a reset before them lets them land among the calls the replays must not make.
    await fake.waitForCall(
      'chat.update',
      (c) => c.body.channel === 'C0APPROVALS' && String(c.body.text).endsWith(': Done'),
    );
    await fake.waitForCall(
      'chat.postMessage',
      (c) =>
        c.body.channel === `D${USERS.requester}` &&
        String(c.body.text).includes(id) &&
        !String(c.body.text).includes('waiting for approval'),
    );
    fake.reset();

    const replayed = await sendSigned(b.url, body, FORM, signed);
    expect(replayed.status).toBe(200);
    expect(replayed.text).toBe('');
    const again = await sendSigned(a.url, body, FORM, signed);
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
    await settle();
    expect(slackCalls()).toEqual([]);
    expect(b.iamCommands).toEqual([]);
    expect(a.iamCommands.filter((c) => c === 'CreateUser')).toHaveLength(1);
    const warned = b
      .logs()
      .split('\n')
      .filter((l) => l.includes('replayed'));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0] as string)).toMatchObject({ level: 40 });
    expect(warned[0]).not.toContain(id);
  });

  it('runs both of two racing deliveries of one signed request at most once between the replicas', async () => {
    fake.reset();
    const body = interactiveBody(
      buttonClick({
        user: USERS.approver2,
        actionId: APPROVE_ACTION,
        value: 'r-nope',
        responseUrl: fake.responseUrl(),
      }),
    );
    const ts = Math.floor(Date.now() / 1000);
    const signed = { timestamp: ts, signature: sign(body, SIGNING_SECRET, ts) };
    const answers = await Promise.all([a, b, a, b].map((r) => sendSigned(r.url, body, FORM, signed)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await settle();
    // The one delivery that ran told the clicker once; the three replays told nobody anything.
    const told = slackCalls().filter((c) => JSON.stringify(c.body).includes('no longer exists'));
    expect(told).toHaveLength(1);
  });

  it("handles Slack's own retry of an event (a new timestamp, so a new signature) as a fresh delivery", async () => {
    fake.reset();
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      event: {
        type: 'app_home_opened',
        user: USERS.requester,
        channel: 'D0HOME',
        tab: 'home',
        event_ts: '1.1',
      },
      event_id: 'Ev0RETRY',
      event_time: Math.floor(Date.now() / 1000),
    });
    const ts = Math.floor(Date.now() / 1000);
    const first = await sendSigned(a.url, event, 'application/json', { timestamp: ts });
    expect(first.status).toBe(200);
    const retry = await fetch(b.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(ts + 1),
        'x-slack-signature': sign(event, SIGNING_SECRET, ts + 1),
        'x-slack-retry-num': '1',
        'x-slack-retry-reason': 'http_timeout',
      },
      body: event,
    });
    expect(retry.status).toBe(200);
    await waitFor(async () => fake.callsTo('views.publish').length === 2, 5_000, 'both deliveries published');
  });
});
