import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailedError } from '../../src/errors.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { CREATE_BLOCKS, USER_PICKED_ACTION } from '../../src/views/create-modal.js';
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

describe('owner picker', () => {
  it('fills email and a user name from users.info into the open modal', async () => {
    fake.reset();
    await sendInteraction(t.url, {
      type: 'block_actions',
      user: { id: USERS.requester },
      team: { id: 'T0TEAM' },
      api_app_id: 'A0APP',
      token: 't',
      trigger_id: 'trig',
      container: { type: 'view', view_id: 'V123' },
      view: {
        id: 'V123',
        hash: 'h1',
        type: 'modal',
        callback_id: 'create_user_modal',
        private_metadata: '{"mode":"create"}',
        state: { values: {} },
        blocks: [],
      },
      actions: [
        {
          type: 'users_select',
          action_id: USER_PICKED_ACTION,
          block_id: CREATE_BLOCKS.owner,
          selected_user: USERS.alice,
          action_ts: '1',
        },
      ],
    });
    const update = await fake.waitForCall('views.update');
    expect(update.body).toMatchObject({ view_id: 'V123', hash: 'h1' });
    const blocks = (update.body.view as { blocks: { block_id: string; element: Record<string, unknown> }[] })
      .blocks;
    const el = (id: string) => blocks.find((b) => b.block_id === id)?.element;
    expect(el(CREATE_BLOCKS.email)?.initial_value).toBe('alice@example.com');
    expect(el(CREATE_BLOCKS.username)?.initial_value).toBe('alice');
    expect(el(CREATE_BLOCKS.owner)?.initial_user).toBe(USERS.alice);
  });
});
