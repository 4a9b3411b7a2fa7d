import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { sendCommand, slashCommandBody } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  t = await startBot({ fake, moto });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

async function redisKeys(): Promise<string[]> {
  return (await t.store.redis.keys(`${t.store.prefix}*`)).sort();
}

describe('request signatures', () => {
  const cmd = { text: 'create', user_id: USERS.requester };

  it.each([
    ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }],
    ['the wrong signing secret', { secret: 'not-the-secret' }],
    ['a timestamp older than 5 minutes', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
    ['no signature', { signature: null }],
  ])('answers 401 to %s, with no side effect', async (_what, opts) => {
    const before = await redisKeys();
    fake.reset();
    const res = await sendCommand(t.url, cmd, opts);
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(await redisKeys()).toEqual(before);
  });

  it('answers 401 when the body was altered after signing', async () => {
    fake.reset();
    const body = slashCommandBody(cmd);
    const res = await sendCommand(t.url, { ...cmd, text: 'pending' }, { signature: undefined });
    expect(res.status).toBe(200);
    const ts = Math.floor(Date.now() / 1000);
    const { sign, SIGNING_SECRET, sendSigned } = await import('../helpers/slack-requests.js');
    const tampered = await sendSigned(
      t.url,
      body.replace('create', 'pending'),
      'application/x-www-form-urlencoded',
      {
        signature: sign(body, SIGNING_SECRET, ts),
        timestamp: ts,
      },
    );
    expect(tampered.status).toBe(401);
  });
});
