import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateGroupCommand, CreateUserCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEMPLATE_TAG } from '../../src/core/index.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { GRANT_BLOCKS, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
import { requestIdFrom } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { buttonClick, SIGNING_SECRET, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';

/**
 * The grant's expiry survives the bot: a real `npm start` process grants, is killed (SIGKILL, no clean
 * shutdown), and a new process revokes on time. One minute is the shortest grant there is. Run on Redis and
 * on the default SQLite store (the new process opens the same DATA_DIR: the dead one's lock is gone).
 */
const REQUESTER = 'UREQUESTER';
const APPROVER = 'UAPPROVER1';
const dir = mkdtempSync(join(tmpdir(), 'aws-user-restart-'));
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
    `  approvers: [${APPROVER}]`,
    'jobs:',
    "  grant_revoke_schedule: '* * * * * *'",
    '',
  ].join('\n'),
);

let moto: Moto;
let fake: FakeSlack;
const procs: ChildProcess[] = [];

async function startBotProcess(env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', AWS_USER_CONFIG: configPath, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    30_000,
    `bot healthz (${out})`,
  );
  return { url: `http://127.0.0.1:${port}/slack/events`, proc };
}

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await moto.iam().send(new CreateGroupCommand({ GroupName: 'ProdDebug' }));
  await moto.iam().send(
    new CreateUserCommand({
      UserName: 'rita',
      Tags: [
        { Key: 'SlackUserId', Value: REQUESTER },
        { Key: TEMPLATE_TAG, Value: 'developer' },
      ],
    }),
  );
});
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});
afterAll(async () => {
  await Promise.all([moto?.stop(), fake?.stop()]);
});

async function groups(): Promise<string[]> {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'rita' }));
  return (r.Groups ?? []).map((g) => g.GroupName ?? '');
}

const stores: [string, () => Record<string, string>][] = [
  [
    'redis',
    () => ({
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `t:restart:${randomBytes(6).toString('hex')}:`,
    }),
  ],
  ['sqlite', () => ({ DATA_DIR: mkdtempSync(join(dir, 'data-')) })],
];

describe.each(stores)('a time-bound grant across a restart (%s)', (_name, storeEnv) => {
  it('is approved, used, survives SIGKILL of the bot, and is revoked on time by the new process', async () => {
    fake.reset();
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      ...storeEnv(),
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      LOG_LEVEL: 'warn',
    };
    const first = await startBotProcess(env);
    const sel = (value: string) => ({ type: 'static_select', selected_option: { value } });
    const values = {
      [GRANT_BLOCKS.account]: { [GRANT_BLOCKS.account]: sel(MOTO_ACCOUNT) },
      [GRANT_BLOCKS.access]: { [GRANT_BLOCKS.access]: sel('group:ProdDebug') },
      [GRANT_BLOCKS.duration]: { [GRANT_BLOCKS.duration]: sel('1') },
      [GRANT_BLOCKS.reason]: { [GRANT_BLOCKS.reason]: { type: 'plain_text_input', value: 'hotfix' } },
    };
    const submitted = await sendInteraction(
      first.url,
      viewSubmission({ user: REQUESTER, callbackId: GRANT_REQUEST_CALLBACK, values }),
    );
    expect(submitted.status).toBe(200);
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS', 20_000);
    await sendInteraction(
      first.url,
      buttonClick({ user: APPROVER, actionId: APPROVE_ACTION, value: requestIdFrom(msg) }),
    );
    // The grant is done when its owner is told: IAM first, then the expiry in the store, then the DM. Killing
    // as soon as IAM shows the group raced the store write (the gap the IAM-tag reconcile closes).
    await fake.waitForCall(
      'chat.postMessage',
      (c) => String(c.body.text ?? '').startsWith('Access granted until'),
      20_000,
    );
    expect(await groups()).toEqual(['ProdDebug']);
    const grantedAt = Date.now();

    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    expect(await groups()).toEqual(['ProdDebug']);

    await startBotProcess(env);
    await waitFor(async () => (await groups()).length === 0, 90_000, 'the revoke by the new process');
    const revokedAfter = Date.now() - grantedAt;
    // On time: not before the minute is up, and within a few seconds of it (the job runs every second).
    expect(revokedAfter).toBeGreaterThanOrEqual(55_000);
    expect(revokedAfter).toBeLessThan(75_000);
  }, 150_000);
});
