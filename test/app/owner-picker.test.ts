import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_BLOCKS, USER_PICKED_ACTION } from '../../src/views/create-modal.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { sendCommand, sendInteraction } from '../helpers/slack-requests.js';

/**
 * Issue 10, point 4: the owner picker updates a view by the id the payload names. Only a view the bot opened
 * for the clicking user may be touched, and only at the hash the payload carries (Slack refuses a stale one).
 */

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
let opened = 0;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  t = await startBot({ fake, moto });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(() => {
  fake.reset();
});

/** `/aws-user create` as `user`; returns the id Slack gave the modal the bot opened. */
async function openCreateModal(user: string): Promise<string> {
  const id = `VOPEN${++opened}`;
  fake.on('views.open', (b) => ({ ok: true, view: { ...(b.view as object), id, hash: `hopen${opened}` } }));
  const res = await sendCommand(t.url, { text: 'create', user_id: user, response_url: fake.responseUrl() });
  expect(res.status).toBe(200);
  await fake.waitForCall('views.open', (c) => c.body.trigger_id !== undefined);
  // The record is written after views.open answers; give it the moment it takes.
  await new Promise((r) => setTimeout(r, 100));
  fake.off('views.open');
  fake.reset();
  return id;
}

function pick(user: string, viewId: string, hash = 'h1') {
  return sendInteraction(t.url, {
    type: 'block_actions',
    user: { id: user },
    team: { id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 't',
    trigger_id: `trig.${Math.random().toString(36).slice(2)}`,
    container: { type: 'view', view_id: viewId },
    view: {
      id: viewId,
      hash,
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
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('owner picker', () => {
  it('fills email and user name into the modal the bot opened for the clicker, at the hash it was sent', async () => {
    const viewId = await openCreateModal(USERS.requester);
    expect((await pick(USERS.requester, viewId, 'h-current')).status).toBe(200);
    const update = await fake.waitForCall('views.update');
    expect(update.body).toMatchObject({ view_id: viewId, hash: 'h-current' });
    const blocks = (update.body.view as { blocks: { block_id: string; element: Record<string, unknown> }[] })
      .blocks;
    const el = (id: string) => blocks.find((b) => b.block_id === id)?.element;
    expect(el(CREATE_BLOCKS.email)?.initial_value).toBe('alice@example.com');
    expect(el(CREATE_BLOCKS.username)?.initial_value).toBe('alice');
    expect(el(CREATE_BLOCKS.owner)?.initial_user).toBe(USERS.alice);
  });

  it('leaves alone a view id the bot never opened', async () => {
    expect((await pick(USERS.requester, 'V0CRAFTED')).status).toBe(200);
    await settle();
    expect(fake.callsTo('views.update')).toEqual([]);
    expect(fake.callsTo('users.info')).toEqual([]);
    expect(t.logs()).toContain('V0CRAFTED');
  });

  it("leaves alone another user's modal, even one the bot opened", async () => {
    const theirs = await openCreateModal(USERS.approver);
    expect((await pick(USERS.requester, theirs)).status).toBe(200);
    await settle();
    expect(fake.callsTo('views.update')).toEqual([]);
    // Their own pick still works.
    await pick(USERS.approver, theirs);
    expect((await fake.waitForCall('views.update')).body).toMatchObject({ view_id: theirs });
  });

  it('leaves alone a modal without a hash to guard the update', async () => {
    const viewId = await openCreateModal(USERS.requester);
    expect((await pick(USERS.requester, viewId, '')).status).toBe(200);
    await settle();
    expect(fake.callsTo('views.update')).toEqual([]);
  });
});
