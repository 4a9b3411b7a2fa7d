import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { createValues, seedSlack, startBot, submitCreate, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { buttonClick, sendCommand, sendInteraction } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
let redis: ChildProcess | undefined;
let port: number;

function startRedis(): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
}

async function stopRedis(): Promise<void> {
  const p = redis;
  redis = undefined;
  if (!p || p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  port = await freePort();
  redis = startRedis();
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: 'outage:' });
  await store.connect().catch(() => undefined);
  await waitFor(async () => (await store.ping().then(() => true)) as boolean, 10_000, 'own redis-server');
  t = await startBot({ fake, moto, store });
});
afterAll(async () => {
  await t?.stop();
  await stopRedis();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

it('answers "approvals store unavailable, try again" within 3 s while Redis is down, then recovers', async () => {
  const health = await fetch(t.healthUrl);
  expect(await health.json()).toMatchObject({ status: 'ok', store: 'ok', aws: 'ok' });
  expect(health.status).toBe(200);
  await stopRedis();

  const started = Date.now();
  const res = await sendCommand(t.url, {
    text: 'pending',
    user_id: USERS.requester,
    response_url: fake.responseUrl('pending'),
  });
  expect(res.status).toBe(200);
  const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/pending', 3000);
  expect(reply.body).toMatchObject({
    response_type: 'ephemeral',
    text: 'approvals store unavailable, try again',
  });
  expect(reply.at - started).toBeLessThan(3000);

  const sub = await submitCreate(t, createValues());
  expect(sub.json()).toEqual({
    response_action: 'errors',
    errors: { justification: 'approvals store unavailable, try again' },
  });

  await sendInteraction(
    t.url,
    buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: 'whatever' }),
  );
  const eph = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.approver, 3000);
  expect(eph.body.text).toBe('approvals store unavailable, try again');

  const down = await fetch(t.healthUrl);
  expect(down.status).toBe(503);
  expect(((await down.json()) as { store: string }).store).toMatch(/^down/);

  // ioredis reconnects by itself once Redis is back.
  redis = startRedis();
  await waitFor(async () => (await fetch(t.healthUrl)).status === 200, 15_000, 'healthz back to 200');
  fake.reset();
  await sendCommand(t.url, {
    text: 'pending',
    user_id: USERS.requester,
    response_url: fake.responseUrl('again'),
  });
  const ok = await fake.waitForCall('response_url', (c) => c.path === '/response/again', 3000);
  expect(ok.body.text).toBe('No pending requests.');
});
