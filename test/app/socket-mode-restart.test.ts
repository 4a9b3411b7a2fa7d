import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateGroupCommand,
  CreateUserCommand,
  GetUserCommand,
  ListGroupsForUserCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { TEMPLATE_TAG } from '../../src/core/index.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { CREATE_CALLBACK } from '../../src/views/create-modal.js';
import { GRANT_BLOCKS, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
import { createValues, requestIdFrom, seedSlack, USERS } from '../helpers/bot.js';
import { type BotProcess, killAll, startBotProcess } from '../helpers/bot-process.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type FakeSocketMode, startFakeSocketMode } from '../helpers/fake-socket-mode.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { waitFor } from '../helpers/ports.js';
import { buttonClick, viewSubmission } from '../helpers/slack-requests.js';

/**
 * The README's first run, for real: the built bot (`npm start`'s command) in Socket Mode with no REDIS_URL,
 * so on the embedded store under DATA_DIR, against moto, the fake Slack Web API and the fake Socket Mode
 * server. A request is filed and a grant approved over the socket, the process is SIGKILLed, and the next
 * process still has the pending request (and approves it once), the grant and the audit trail.
 *
 * `npm start` is `node dist/main.js` (built by the global setup): the test spawns that command itself rather
 * than npm, because `kill -9` of npm would kill npm alone and leave the bot running as an orphan, which is not
 * a crash.
 */
const dir = mkdtempSync(join(tmpdir(), 'aws-user-socket-restart-'));
const dataDir = join(dir, 'data');
const configPath = join(dir, 'config.yml');
writeFileSync(
  configPath,
  [
    'templates:',
    '  developer:',
    '    groups: []',
    '    grantable: { groups: [ProdDebug] }',
    'slack:',
    '  approvals_channel: C0APPROVALS',
    `  approvers: [${USERS.approver}]`,
    '',
  ].join('\n'),
);
const APP_TOKEN = 'xapp-1-A0APP-1-restart';

let moto: Moto;
let fake: FakeSlack;
let sock: FakeSocketMode;
function env(): Record<string, string> {
  return {
    AWS_USER_CONFIG: configPath,
    DATA_DIR: dataDir,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    LOG_LEVEL: 'info',
  };
}

/** The built bot, up (its /healthz answers) and connected as the socket's `connection`-th client. */
async function start(connection: number): Promise<BotProcess> {
  const bot = await startBotProcess(`socket-${connection}`, env());
  await sock.waitForConnection(connection, 30_000);
  return bot;
}

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  sock = await startFakeSocketMode(fake);
  seedSlack(fake);
  await moto.iam().send(new CreateGroupCommand({ GroupName: 'ProdDebug' }));
  await moto.iam().send(
    new CreateUserCommand({
      UserName: 'rita',
      Tags: [
        { Key: 'SlackUserId', Value: USERS.requester },
        { Key: TEMPLATE_TAG, Value: 'developer' },
      ],
    }),
  );
}, 240_000);
afterAll(async () => {
  await killAll();
  await sock?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

async function ritaGroups(): Promise<string[]> {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'rita' }));
  return (r.Groups ?? []).map((g) => g.GroupName ?? '');
}

async function approvalFor(text: string): Promise<string> {
  const msg = await fake.waitForCall(
    'chat.postMessage',
    (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body.blocks).includes(text),
    20_000,
  );
  return requestIdFrom(msg);
}

describe('the first run (Socket Mode, no Redis) across kill -9', () => {
  it('keeps the pending request, the grant and the audit trail, and approves the request once after the restart', async () => {
    const first = await start(1);

    // A create request, filed over the socket and left pending.
    await sock.slashCommand({ text: 'create', user_id: USERS.requester, response_url: fake.responseUrl() });
    await fake.waitForCall('views.open');
    const filed = await sock.interactive(
      viewSubmission({
        user: USERS.requester,
        callbackId: CREATE_CALLBACK,
        values: createValues({ username: 'alice' }),
        privateMetadata: '{"mode":"create"}',
      }),
    );
    expect(filed.payload).toEqual({});
    const createId = await approvalFor('alice');

    // A one-hour grant for rita, approved over the socket.
    const sel = (value: string) => ({ type: 'static_select', selected_option: { value } });
    await sock.interactive(
      viewSubmission({
        user: USERS.requester,
        callbackId: GRANT_REQUEST_CALLBACK,
        values: {
          [GRANT_BLOCKS.account]: { [GRANT_BLOCKS.account]: sel(MOTO_ACCOUNT) },
          [GRANT_BLOCKS.access]: { [GRANT_BLOCKS.access]: sel('group:ProdDebug') },
          [GRANT_BLOCKS.duration]: { [GRANT_BLOCKS.duration]: sel('60') },
          [GRANT_BLOCKS.reason]: { [GRANT_BLOCKS.reason]: { type: 'plain_text_input', value: 'hotfix' } },
        },
      }),
    );
    const grantId = await approvalFor('ProdDebug');
    await sock.interactive(buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: grantId }));
    await waitFor(async () => (await ritaGroups()).includes('ProdDebug'), 20_000, 'the grant in IAM');
    // The holder's DM is the grant's last step, after its audit event and its record: a kill before it could
    // land between AddUserToGroup and the audit write, which no store can keep (seen as a flaky run on Node 22).
    await fake.waitForCall(
      'chat.postMessage',
      (c) => String(c.body.text ?? '').startsWith('Access granted until'),
      20_000,
    );

    first.proc.kill('SIGKILL');
    await first.exit;

    const second = await start(2);
    expect(fake.callsTo('apps.connections.open')).toHaveLength(2);

    // Still pending, as the requester sees it.
    await sock.slashCommand({
      text: 'pending',
      user_id: USERS.requester,
      response_url: fake.responseUrl('pending'),
    });
    const pending = await fake.waitForCall('response_url', (c) => c.path === '/response/pending', 15_000);
    expect(String(pending.body.text)).toContain('alice');

    // The audit trail the first process wrote, as an approver reads it in Slack.
    await sock.slashCommand({
      text: 'audit rita',
      user_id: USERS.approver,
      response_url: fake.responseUrl('audit'),
    });
    const audit = await fake.waitForCall('response_url', (c) => c.path === '/response/audit', 15_000);
    expect(String(audit.body.text)).toContain('grant.apply');

    // And approvable, once.
    const click = await sock.interactive(
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: createId }),
    );
    expect(click.connection).toBe(2);
    await waitFor(
      async () => Boolean((await moto.iam().send(new GetUserCommand({ UserName: 'alice' }))).User),
      20_000,
      'alice in IAM',
    );
    // The last step of an execution: the requester hears it is done (after the store and the audit trail).
    await fake.waitForCall(
      'chat.postMessage',
      (c) => String(c.body.text).includes(`\`${createId}\` is done`),
      20_000,
    );

    second.proc.kill('SIGTERM');
    expect(await second.exit).toBe(0);

    // What the next start would find on disk: the file under DATA_DIR, read through the bot's own store.
    const { store, kind } = await openStore(
      loadConfig({ AWS_USER_CONFIG: configPath, DATA_DIR: dataDir }),
      createLogger('silent'),
    );
    try {
      expect(kind).toBe('sqlite');
      expect((await store.getRequest(createId))?.status).toBe('done');
      const alice = (await store.audit.recent({ target: 'alice', limit: 50 })).map(
        (e) => `${e.action}:${e.outcome}`,
      );
      expect(alice).toEqual(
        expect.arrayContaining([
          'request.create:requested',
          'request.create:approved',
          'request.create:success',
        ]),
      );
      expect(alice.filter((a) => a === 'user.create:success')).toHaveLength(1);
      const rita = (await store.audit.recent({ target: 'rita', limit: 50 })).map(
        (e) => `${e.action}:${e.outcome}`,
      );
      expect(rita).toContain('grant.apply:success');
      const grants = await store.grants.listActive({ username: 'rita' });
      expect(grants).toHaveLength(1);
      expect(grants[0]).toMatchObject({
        account: MOTO_ACCOUNT,
        username: 'rita',
        kind: 'group',
        target: 'ProdDebug',
      });
    } finally {
      await store.close();
    }
    expect(await ritaGroups()).toEqual(['ProdDebug']);
  }, 180_000);
});
