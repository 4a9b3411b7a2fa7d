import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseEnv } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open.js';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { testConfig } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { buttonClick, SIGNING_SECRET, sendInteraction } from '../helpers/slack-requests.js';
import { redisStore } from '../helpers/store.js';

/**
 * The real process (src/main.ts) with Redis, moto behind a proxy that makes CreateUser slow, and the fake
 * Slack: SIGTERM in the middle of an approved create, and a start that finds a request left approving.
 */
let moto: Moto;
let fake: FakeSlack;
let proxy: Server;
let proxyUrl = '';
let createUserSeen = false;
const procs: ChildProcess[] = [];
const APPROVER = 'UAPPROVER1';
const dir = mkdtempSync(join(tmpdir(), 'aws-user-shutdown-'));
const configPath = join(dir, 'config.yml');
writeFileSync(
  configPath,
  `templates:\n  developer:\n    groups: []\nslack:\n  approvals_channel: C0APPROVALS\n  approvers: [${APPROVER}]\n`,
);

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  const upstream = new URL(moto.endpoint);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const slow = body.toString('utf8').includes('Action=CreateUser&');
      if (slow) createUserSeen = true;
      setTimeout(
        () => {
          const fwd = request(
            {
              host: upstream.hostname,
              port: upstream.port,
              method: req.method,
              path: req.url,
              headers: req.headers,
            },
            (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              up.pipe(res);
            },
          );
          fwd.on('error', () => res.destroy());
          fwd.end(body);
        },
        slow ? 3000 : 0,
      );
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  proxy?.closeAllConnections();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await Promise.all([moto?.stop(), fake?.stop()]);
});

function start(prefix: string, port: number, store: Record<string, string> = {}) {
  let out = '';
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_USER_CONFIG: configPath,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: prefix,
      ...store,
      AWS_ENDPOINT_URL: proxyUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      PORT: String(port),
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_SECONDS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(p);
  p.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  return { proc: p, output: () => out, exit };
}

function request_(id: string, username: string, at: Date): PendingRequest {
  return {
    id,
    kind: 'create',
    requester: 'UREQUESTER',
    // Resolved when filed, as every request now is (an unresolved owner is refused before IAM).
    target: { username, email: `${username}@example.com`, slackUserId: `U${username.toUpperCase()}` },
    template: 'developer',
    account: MOTO_ACCOUNT,
    justification: 'shutdown test',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + 3_600_000).toISOString(),
  };
}

describe('npm start: SIGTERM and restart around an execution', () => {
  it('SIGTERM while an approved create waits on IAM: the process waits, the request is done, exit 0', async () => {
    const prefix = `t:main-drain:${randomBytes(4).toString('hex')}:`;
    const store = await redisStore(prefix);
    await store.createRequest(request_('r-sigterm', 'carol', new Date()));
    const port = await freePort();
    const r = start(prefix, port);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 30_000, 'healthz');
    await sendInteraction(
      `http://127.0.0.1:${port}/slack/events`,
      buttonClick({ user: APPROVER, actionId: APPROVE_ACTION, value: 'r-sigterm' }),
    );
    await waitFor(async () => createUserSeen, 15_000, 'CreateUser at the proxy');
    r.proc.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.output()).toContain('waiting for running work before exit');
    expect(await store.getRequest('r-sigterm')).toMatchObject({
      status: 'done',
      outcome: expect.stringContaining('created `carol`'),
    });
    const user = await moto.iam().send(new GetUserCommand({ UserName: 'carol' }));
    expect(user.User?.UserName).toBe('carol');
    await store.close();
  });

  it('a start finds a request a killed process left approving, checks IAM and finishes it at once', async () => {
    const prefix = `t:main-recover:${randomBytes(4).toString('hex')}:`;
    const store = await redisStore(prefix);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    await store.createRequest(request_('r-killed', 'dave', tenMinutesAgo));
    await store.setRequestMessage('r-killed', { channel: 'C0APPROVALS', ts: '1700000000.000300' });
    await store.approve('r-killed', APPROVER, tenMinutesAgo);
    const port = await freePort();
    const r = start(prefix, port);
    await waitFor(
      async () => (await store.getRequest('r-killed'))?.status !== 'approving',
      30_000,
      `recovery (${r.output()})`,
    );
    expect(await store.getRequest('r-killed')).toMatchObject({
      status: 'failed',
      outcome:
        'the bot restarted during execution, before `dave` was created: nothing exists in IAM; ask again',
    });
    await fake.waitForCall('chat.update', (c) => c.body.ts === '1700000000.000300');
    await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === 'DUREQUESTER' && String(c.body.text).includes('r-killed'),
    );
    r.proc.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    await store.close();
  });
});

describe('npm start on the default SQLite store', () => {
  it('finishes at once a request the killed instance left approving, however fresh its lease (one instance per file)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aws-user-recover-sqlite-'));
    const config = { ...testConfig(), env: parseEnv({ DATA_DIR: dataDir }) };
    const seeded = await openStore(config, silentLogger());
    const now = new Date();
    await seeded.store.createRequest(request_('r-sqlite', 'erin', now));
    await seeded.store.approve('r-sqlite', APPROVER, now);
    await seeded.store.close();
    const port = await freePort();
    const r = start('unused:', port, { REDIS_URL: '', DATA_DIR: dataDir });
    const reader = await openStore(config, silentLogger(), { readOnly: true }).catch(() => undefined);
    await waitFor(
      async () => {
        const s = reader ?? (await openStore(config, silentLogger(), { readOnly: true }));
        return (await s.store.getRequest('r-sqlite'))?.status === 'failed';
      },
      30_000,
      `recovery on SQLite (${r.output()})`,
    );
    r.proc.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    const after = await openStore(config, silentLogger(), { readOnly: true });
    expect((await after.store.getRequest('r-sqlite'))?.outcome).toBe(
      'the bot restarted during execution, before `erin` was created: nothing exists in IAM; ask again',
    );
    await after.store.close();
    await reader?.store.close();
  });
});
