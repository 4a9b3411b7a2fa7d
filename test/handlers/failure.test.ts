import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailedError } from '../../src/errors.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { requestIdFrom, seedSlack, startBot, submitCreate, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
  t = await startBot({
    fake,
    moto,
    ops: (_ctx, real) => ({
      ...real,
      createUser: async () => {
        throw new StepFailedError('AttachUserPolicy', ['AddUserToGroup', 'CreateUser'], [], {
          cause: new Error('LimitExceeded: Cannot exceed quota for PoliciesPerUser: 10'),
        });
      },
    }),
  });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

describe('execution failure', () => {
  it('names the failed step and what was rolled back, on the message and to the requester', async () => {
    await submitCreate(t);
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    const id = requestIdFrom(msg);
    await sendInteraction(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    const update = await fake.waitForCall('chat.update', (c) => String(c.body.text).includes('Failed'));
    const shown = JSON.stringify(update.body.blocks);
    expect(shown).toContain('step \\"AttachUserPolicy\\" failed');
    expect(shown).toContain('rolled back: AddUserToGroup, CreateUser');
    const dm = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === `D${USERS.requester}` && String(c.body.text).includes('failed'),
    );
    expect(dm.body.text).toContain('AttachUserPolicy');
    expect(await t.store.getRequest(id)).toMatchObject({ status: 'failed' });
    expect(fake.callsTo('chat.postMessage').some((c) => String(c.body.text).includes('password'))).toBe(
      false,
    );
    const trail = await t.store.audit.recent({ target: 'alice', limit: 10 });
    expect(trail[0]).toMatchObject({ action: 'request.create', outcome: 'failure' });
  });
});
