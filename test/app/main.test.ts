import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CREATE_CALLBACK } from '../../src/views/create-modal.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { SIGNING_SECRET, sendCommand } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let proc: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'aws-user-main-'));
const configPath = join(dir, 'config.yml');
writeFileSync(
  configPath,
  'templates:\n  developer:\n    groups: []\nslack:\n  approvals_channel: C0APPROVALS\n',
);

function run(env: Record<string, string>): {
  proc: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  let out = '';
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', AWS_USER_CONFIG: configPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  p.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  return { proc: p, output: () => out, exit };
}

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  proc?.kill('SIGTERM');
  await Promise.all([moto?.stop(), fake?.stop()]);
});

describe('npm start (src/main.ts)', () => {
  it('exits non-zero naming the missing tokens and pointing at manifest.yml', async () => {
    const r = run({});
    expect(await r.exit).toBe(2);
    expect(r.output()).toContain('SLACK_BOT_TOKEN');
    expect(r.output()).toContain('SLACK_SIGNING_SECRET');
    expect(r.output()).toContain('manifest.yml');
  });

  it('starts in HTTP mode against SLACK_API_URL, Redis and an IAM endpoint; healthz reports both; SIGTERM stops it', async () => {
    const port = await freePort();
    const r = run({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `t:main:${randomBytes(4).toString('hex')}:`,
      REPLICA_ID: 'main-test',
      // Read from the environment by config.ts: /healthz then names the account.
      HEALTHZ_VERBOSE: 'true',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    proc = r.proc;
    const health = `http://127.0.0.1:${port}/healthz`;
    await waitFor(async () => (await fetch(health)).ok, 20_000, `healthz (${r.output()})`);
    expect(await (await fetch(health)).json()).toMatchObject({
      status: 'ok',
      replica: 'main-test',
      store: 'ok',
      aws: { account: MOTO_ACCOUNT },
    });
    const res = await sendCommand(`http://127.0.0.1:${port}/slack/events`, {
      text: 'create',
      user_id: `U${randomBytes(4).toString('hex').toUpperCase()}`,
    });
    expect(res.status).toBe(200);
    const open = await fake.waitForCall('views.open');
    expect((open.body.view as { callback_id: string }).callback_id).toBe(CREATE_CALLBACK);
    r.proc.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.output()).toContain('shutting down');
  });

  it('without REDIS_URL keeps its state in a SQLite file under DATA_DIR, created on first run, and refuses a second instance on it', async () => {
    const dataDir = join(dir, `data-${randomBytes(4).toString('hex')}`, 'nested');
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      DATA_DIR: dataDir,
    };
    const port = await freePort();
    const r = run({ ...env, PORT: String(port) });
    proc = r.proc;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 20_000, 'healthz');
    expect(existsSync(join(dataDir, 'aws-user.db'))).toBe(true);
    expect(r.output()).toContain(`store: SQLite at ${join(dataDir, 'aws-user.db')}`);
    expect(r.output()).not.toContain('IN MEMORY');

    const second = run({ ...env, PORT: String(await freePort()) });
    expect(await second.exit).toBe(1);
    expect(second.output()).toContain(
      `another aws-user instance is already running on the SQLite store in DATA_DIR=${dataDir}`,
    );
    expect(second.output()).toContain('REDIS_URL');

    r.proc.kill('SIGINT');
    expect(await r.exit).toBe(0);
  });
});
