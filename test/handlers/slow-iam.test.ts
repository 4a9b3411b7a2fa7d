import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSlack, startBot, submitCreate, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { sendCommand } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
const IAM_MS = 4000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  t = await startBot({
    fake,
    moto,
    ops: (_ctx, real) => ({
      ...real,
      validateCreate: async () => sleep(IAM_MS),
      usersOwnedBy: async () => {
        await sleep(IAM_MS);
        return [];
      },
    }),
  });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

describe('IAM slower than Slack’s 3 s', () => {
  it('acks a command at once and answers through response_url when IAM is done', async () => {
    const res = await sendCommand(t.url, {
      text: 'whoami',
      user_id: USERS.requester,
      response_url: fake.responseUrl('w'),
    });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1000);
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/w', IAM_MS + 3000);
    expect(reply.body.text).toContain('No IAM user is tagged');
  });

  it('answers the create modal within 3 s, recording the request (execution re-checks IAM)', async () => {
    const res = await submitCreate(t);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    expect(res.text).toBe('');
    await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    expect(t.logs()).toContain('IAM check slow; execution will re-check');
  });
});
