import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { CREATE_CALLBACK } from '../../src/views/create-modal.js';
import {
  botConfig,
  createValues,
  requestIdFrom,
  seedSlack,
  startBot,
  type TestBot,
  USERS,
} from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { ACK_DEADLINE_MS, type FakeSocketMode, startFakeSocketMode } from '../helpers/fake-socket-mode.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { freePort } from '../helpers/ports.js';
import { buttonClick, viewSubmission } from '../helpers/slack-requests.js';

/**
 * The bot in Socket Mode against a Slack-compatible API: every Slack connection, apps.connections.open
 * included, goes to SLACK_API_URL, and the fake plays Slack's side of the WebSocket protocol.
 */
const APP_TOKEN = 'xapp-1-A0APP-1-test';

let moto: Moto;
let fake: FakeSlack;
let sock: FakeSocketMode;
let t: TestBot;
/** Not awaited in beforeAll: without the fix it never connects, and the first test says so plainly. */
let started: Promise<TestBot>;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  sock = await startFakeSocketMode(fake);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
  const port = await freePort();
  const config = botConfig(fake, {
    env: parseEnv({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      PORT: String(port),
      LOG_LEVEL: 'debug',
    }),
  });
  started = startBot({ fake, moto, config });
  started.catch(() => undefined);
});
afterAll(async () => {
  await t?.stop();
  await sock?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

const values = (username: string) => createValues({ username, email: `${username}@example.com` });
const createSubmission = (v: ReturnType<typeof createValues>) =>
  viewSubmission({
    user: USERS.requester,
    callbackId: CREATE_CALLBACK,
    values: v,
    privateMetadata: '{"mode":"create"}',
  });

describe('Socket Mode against SLACK_API_URL', () => {
  it('opens its connection through SLACK_API_URL with the app token, and is connected after hello', async () => {
    await sock.waitForConnection(1, 15_000);
    t = await started;
    expect(t.bot.mode).toBe('socket');
    const opens = fake.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(APP_TOKEN);
  });

  it('acks a slash_commands envelope by its envelope_id within 3 s, then opens the modal', async () => {
    const ack = await sock.slashCommand({
      text: 'create',
      user_id: USERS.requester,
      response_url: fake.responseUrl(),
    });
    expect(ack.ms).toBeLessThan(ACK_DEADLINE_MS);
    expect(ack.payload).toEqual({});
    const open = await fake.waitForCall('views.open');
    expect((open.body.view as { callback_id: string }).callback_id).toBe(CREATE_CALLBACK);
    expect(open.token).toBe('xoxb-test-token');
  });

  it('answers an invalid view_submission in the ack itself, with response_action errors', async () => {
    const ack = await sock.interactive(createSubmission(values('not a valid name!')));
    expect(ack.payload).toMatchObject({
      response_action: 'errors',
      errors: { username: expect.any(String) },
    });
  });

  it('files a request from an interactive view_submission and approves it from a block_actions click', async () => {
    const sub = await sock.interactive(createSubmission(values('sockuser')));
    expect(sub.payload).toEqual({});
    const msg = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body.blocks).includes('sockuser'),
    );
    const id = requestIdFrom(msg);
    expect((await t.store.getRequest(id))?.status).toBe('pending');

    const click = await sock.interactive(
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }),
    );
    expect(click.ms).toBeLessThan(ACK_DEADLINE_MS);
    await fake.waitFor(
      () => fake.callsTo('chat.update').some((c) => String(c.body.text).includes('Done')),
      15_000,
      'the Done update',
    );
    expect(t.iamCommands.filter((c) => c === 'CreateUser')).toHaveLength(1);
    expect((await t.store.getRequest(id))?.status).toBe('done');
  });

  it('reconnects after the server drops the socket: a new apps.connections.open, a new hello, envelopes acked', async () => {
    const before = fake.callsTo('apps.connections.open').length;
    sock.drop();
    await sock.waitForConnection(2);
    expect(fake.callsTo('apps.connections.open')).toHaveLength(before + 1);
    const ack = await sock.slashCommand({
      text: 'help',
      user_id: USERS.requester,
      response_url: fake.responseUrl(),
    });
    expect(ack.connection).toBe(2);
  }, 30_000);

  it('reconnects when Slack asks it to refresh the connection (a disconnect message)', async () => {
    sock.refresh();
    await sock.waitForConnection(3);
    const ack = await sock.slashCommand({
      text: 'help',
      user_id: USERS.requester,
      response_url: fake.responseUrl(),
    });
    expect(ack.connection).toBe(3);
  }, 30_000);
});
