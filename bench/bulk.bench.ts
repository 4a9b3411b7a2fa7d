/**
 * `npm run bench -- bulk`: bulk-create users from a CSV through the real `aws-user bulk-create` command,
 * against moto behind a proxy that throttles like IAM above 20 requests/s. The floor any client can reach is
 * the throttle bound (calls ÷ 20/s); the target is ≤ 1.25× that with zero failed rows. The same run also
 * measures the naive client (no client-side pacing; the SDK's adaptive retry alone).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateGroupCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { stringify } from 'csv-stringify/sync';
import { run } from '../src/cli/index.js';
import type { CliIo } from '../src/cli/io.js';
import type { Config } from '../src/config.js';
import { AccountClients } from '../src/core/aws/accounts.js';
import { BULK_COLUMNS } from '../src/core/users/bulk.js';
import { testConfig } from '../test/helpers/core.js';
import { startMoto, TEST_CREDENTIALS } from '../test/helpers/moto.js';
import { startThrottleProxy } from '../test/helpers/throttle-proxy.js';

const LIMIT = 20;
const USERS = Number(process.env.BENCH_USERS ?? 500);
const NAIVE_USERS = Number(process.env.BENCH_NAIVE_USERS ?? 150);
const RATE = 19;

interface Outcome {
  label: string;
  users: number;
  calls: number;
  throttled: number;
  seconds: number;
  failed: number;
  created: number;
  exit: number;
  /** Users in IAM that the run reports as failed: rollbacks that were themselves throttled away. */
  leftovers: number;
}

export default async function bench(): Promise<string> {
  const moto = await startMoto();
  const proxy = await startThrottleProxy(moto.endpoint, LIMIT);
  const dir = mkdtempSync(join(tmpdir(), 'aws-user-bench-'));
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  const { source: _s, env: _e, ...file } = testConfig();

  async function once(
    label: string,
    users: number,
    iam: Record<string, unknown> | undefined,
    sdkDefaultRetry = false,
  ): Promise<Outcome> {
    await moto.reset();
    for (const GroupName of ['Developers', 'ReadOnly'])
      await moto.iam().send(new CreateGroupCommand({ GroupName }));
    const cfg = join(dir, `${label}.json`);
    writeFileSync(cfg, JSON.stringify({ ...file, ...(iam ? { iam } : {}) }));
    const rows = Array.from({ length: users }, (_, i) => [
      `bench.user${i}`,
      `bench.user${i}@example.com`,
      'Engineering',
      'developer',
      '',
      '',
      'CC-1',
    ]);
    const csv = join(dir, `${label}.csv`);
    writeFileSync(csv, stringify([[...BULK_COLUMNS], ...rows]));
    let stdout = '';
    const io: CliIo = {
      out: (t) => (stdout += t),
      err: () => undefined,
      prompt: async () => '',
      isTTY: false,
      errIsTTY: false,
    };
    proxy.reset();
    const t0 = performance.now();
    const env = {
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_REGION: 'us-east-1',
      USER: 'bench',
      LOG_LEVEL: 'silent',
    };
    const exit = await run(['--config', cfg, '--json', 'bulk-create', '--file', csv], io, {
      env,
      // The SDK's own default: standard retry mode, 3 attempts (what a client without our settings gets).
      ...(sdkDefaultRetry
        ? {
            clients: (config: Config) =>
              new AccountClients(config.accounts, {
                endpoint: proxy.endpoint,
                region: 'us-east-1',
                retryMode: 'standard',
                maxAttempts: 3,
                homeAccountId: '123456789012',
              }),
          }
        : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const out = JSON.parse(stdout) as { summary: { created: number; failed: number } };
    // Straight to moto, not through the proxy: what the run really left in IAM.
    const inIam = ((await moto.iam().send(new ListUsersCommand({}))).Users ?? []).length;
    return {
      leftovers: inIam - out.summary.created,
      label,
      users,
      calls: proxy.forwarded,
      throttled: proxy.throttled,
      seconds,
      failed: out.summary.failed,
      created: out.summary.created,
      exit,
    };
  }

  try {
    const paced = await once('paced', USERS, { requests_per_second: RATE });
    const adaptive = await once('adaptive retry only', NAIVE_USERS, undefined);
    const sdkDefault = await once('SDK default retry', NAIVE_USERS, undefined, true);
    const verdict = (o: Outcome) =>
      o.failed === 0 && o.seconds / (o.calls / LIMIT) <= 1.25 ? 'meets the target' : 'misses the target';
    const row = (o: Outcome) => {
      const bound = o.calls / LIMIT;
      return `| ${o.label} | ${o.users} | ${o.calls} | ${(o.calls / o.users).toFixed(2)} | ${o.throttled} | ${o.seconds.toFixed(1)} s | ${bound.toFixed(1)} s | **${(o.seconds / bound).toFixed(2)}×** | ${o.failed} | ${o.leftovers} | ${o.exit} |`;
    };
    return [
      '## bulk: bulk-create against a throttled IAM',
      '',
      '`npm run bench -- bulk` (env `BENCH_USERS`, `BENCH_NAIVE_USERS` to resize). Runs `aws-user bulk-create --file users.csv`',
      'in-process (developer template: CreateUser, 2 × AddUserToGroup, 2 × AttachUserPolicy, PutUserPolicy,',
      `CreateLoginProfile per user; group/policy lookups once per run) against moto behind a proxy answering IAM's`,
      `\`Throttling\` error above ${LIMIT} requests in any sliding second. Calls are counted at the proxy (forwarded`,
      'requests); the **baseline is the throttle bound**, calls ÷ 20/s, the fastest any client can go. Target: ≤ 1.25×',
      'the bound with zero failed rows.',
      '',
      '| client | users | calls | calls/user | throttled responses | wall time | throttle bound | ratio | failed rows | failed rows left half-created | exit |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      row(paced),
      row(adaptive),
      row(sdkDefault),
      '',
      `- **paced** (${verdict(paced)}): config \`iam: { requests_per_second: ${RATE} }\`, a per-account GCRA pacer in`,
      '  the SDK middleware (src/core/aws/rate-limit.ts) under the adaptive retry; bulk.concurrency 8.',
      `- **adaptive retry only** (${verdict(adaptive)}): no pacer; the clients' adaptive retry, 8 attempts`,
      '  (src/core/aws/accounts.ts); same concurrency.',
      `- **SDK default retry** (${verdict(sdkDefault)}): no pacer, the SDK's default standard mode with 3 attempts.`,
      `- The two naive runs use ${NAIVE_USERS} users to keep the bench short; the ratio is per call, so it compares.`,
      '- A failed row is reported with its line (exit 1) and its create rolled back; "left half-created" counts the',
      '  failed rows whose rollback was itself throttled away (the user is still in IAM; delete-user removes it).',
    ].join('\n');
  } finally {
    await proxy.close();
    await moto.stop();
  }
}
