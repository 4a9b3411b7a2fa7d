import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { requestIdFrom, seedSlack, startBot, submitCreate, type TestBot } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
const bots: TestBot[] = [];

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
});
afterAll(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await Promise.all([moto?.stop(), fake?.stop()]);
});

it('two replicas on one Redis turn 50 concurrent Approve clicks into exactly one CreateUser', async () => {
  const approvers = Array.from({ length: 50 }, (_, i) => `UAPP${String(i).padStart(4, '0')}`);
  fake.addUsergroup('S0SECURITY', approvers);
  const prefix = `t:race:${randomBytes(6).toString('hex')}:`;
  const a = await startBot({ fake, moto, prefix });
  const b = await startBot({ fake, moto, prefix });
  bots.push(a, b);

  await submitCreate(a);
  const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  const id = requestIdFrom(msg);

  const responses = await Promise.all(
    approvers.map((user, i) =>
      sendInteraction((i % 2 ? b : a).url, buttonClick({ user, actionId: APPROVE_ACTION, value: id })),
    ),
  );
  expect(responses.every((r) => r.status === 200)).toBe(true);

  await fake.waitFor(
    (calls) => calls.filter((c) => c.method === 'chat.postEphemeral').length === 49,
    20_000,
    '49 "already approved" replies',
  );
  await fake.waitFor(
    () => fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')),
    20_000,
    'the done update',
  );
  const creates = [...a.iamCommands, ...b.iamCommands].filter((c) => c === 'CreateUser');
  expect(creates).toHaveLength(1);
  const passwordDms = fake
    .callsTo('chat.postMessage')
    .filter((c) => String(c.body.text).includes('Initial console password'));
  expect(passwordDms).toHaveLength(1);
  const r = await a.store.getRequest(id);
  expect(r?.status).toBe('done');
  const losers = fake.callsTo('chat.postEphemeral').map((c) => String(c.body.text));
  expect(losers.every((t) => t.includes(`approved by <@${r?.decidedBy}>`))).toBe(true);
});
