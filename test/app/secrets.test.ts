import { createConnection, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { requestIdFrom, seedSlack, startBot, submitCreate, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
let monitor: Socket;
const redisTraffic: string[] = [];

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
  // MONITOR sees every command any client sends, so a secret written and later deleted is still caught.
  // A raw socket, not ioredis's monitor(): its ready check can race the MONITOR stream.
  const url = new URL(inject('redisUrl'));
  monitor = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
  await new Promise<void>((resolve, reject) => {
    monitor.once('connect', () => resolve());
    monitor.once('error', reject);
  });
  monitor.on('data', (d: Buffer) => redisTraffic.push(d.toString('utf8')));
  monitor.write('MONITOR\r\n');
  t = await startBot({ fake, moto });
});
afterAll(async () => {
  monitor?.destroy();
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

it('sends the initial password only by DM to its owner: never a channel, a log, the audit trail or Redis', async () => {
  await submitCreate(t);
  const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  await sendInteraction(
    t.url,
    buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: requestIdFrom(msg) }),
  );
  const dm = await fake.waitForCall('chat.postMessage', (c) =>
    String(c.body.text).includes('Initial console password'),
  );
  await fake.waitFor(() => fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')));
  await fake.waitForCall('chat.postMessage', (c) => String(c.body.text).includes('is done'));

  const password = /password: `([^`]+)`/.exec(String(dm.body.text))?.[1] as string;
  expect(password.length).toBeGreaterThanOrEqual(12);
  expect(dm.body.channel).toBe(`D${USERS.alice}`);

  const leaks = fake.calls.filter((c) => c !== dm && JSON.stringify(c.body).includes(password));
  expect(leaks).toEqual([]);
  const leakingLines = t
    .logs()
    .split('\n')
    .filter((l) => l.includes(password));
  expect(leakingLines).toEqual([]);
  const events = await t.store.audit.recent({ limit: 100 });
  expect(events.length).toBeGreaterThan(0);
  expect(JSON.stringify(events)).not.toContain(password);

  await new Promise((r) => setTimeout(r, 100));
  expect(redisTraffic.length).toBeGreaterThan(0);
  const traffic = redisTraffic.join('');
  // MONITOR escapes non-ASCII and quotes; the generated password is printable ASCII, but `"` and `\` are escaped.
  expect(traffic).toContain(t.store.prefix);
  expect(traffic.includes(password) || traffic.includes(JSON.stringify(password).slice(1, -1))).toBe(false);
  const keys = await t.store.redis.keys(`${t.store.prefix}*`);
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) {
    const type = await t.store.redis.type(key);
    const value =
      type === 'string'
        ? await t.store.redis.get(key)
        : type === 'zset'
          ? (await t.store.redis.zrange(key, 0, -1)).join(' ')
          : type === 'stream'
            ? JSON.stringify(await t.store.redis.xrange(key, '-', '+'))
            : JSON.stringify(await t.store.redis.hgetall(key).catch(() => ''));
    expect(`${key} ${value}`).not.toContain(password);
  }
});
