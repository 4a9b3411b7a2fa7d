/**
 * Detection at scale. `npm run bench -- detect`:
 * 1. The scale run: 200 accounts × 5,000 users against the synthetic IAM/STS endpoint (50 ms per call),
 *    the scan in a child process so its peak RSS is its own. Targets: ≤ 20 s, ≤ 0.01 IAM calls/user, ≤ 512 MB.
 * 2. The comparison, same run: 2 accounts × 1,000 users, the constant-cost scan vs the seed's per-user method.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Config, parseEnv, parseFileConfig } from '../src/config.js';
import { Auditor, MemoryAuditSink } from '../src/core/audit.js';
import { AccountClients } from '../src/core/aws/accounts.js';
import { systemClock } from '../src/core/clock.js';
import { scan } from '../src/core/detect/scan.js';
import { silentLogger } from '../src/logger.js';
import { accountIdFor, startSyntheticIam } from '../test/helpers/synthetic-iam.js';
import { perUserScan } from './baseline-per-user.js';

const here = dirname(fileURLToPath(import.meta.url));
const LATENCY = 50;
const SCALE = { accounts: 200, users: 5000, concurrency: 12 }; // inactivity.concurrency: 12 (default 8)
const SMALL = { accounts: 2, users: 1000 };
const BASELINE_IN_FLIGHT = 10;
const RUNS = 3;

interface ChildResult {
  scanMs: number;
  scanCpuMs: number;
  scanMaxRssKb: number;
  liveHeapMb: number;
  renderMs: number;
  accountsOk: number;
  accountsFailed: string[];
  users: number;
  findings: number;
  csvBytes: number;
  jsonBytes: number;
  maxRssKb: number;
}

function runChild(
  endpoint: string,
): Promise<{ r: ChildResult; timeRssKb: number | undefined; wallMs: number }> {
  const useTime = existsSync('/usr/bin/time');
  const node = [
    process.execPath,
    '--expose-gc',
    join(here, 'detect-scan.child.mjs'),
    endpoint,
    String(SCALE.accounts),
    String(SCALE.concurrency),
  ];
  const [cmd, ...args] = useTime ? ['/usr/bin/time', '-v', ...node] : node;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`scan child exited ${code}: ${err.slice(-2000)}`));
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1];
      resolve({
        r: JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildResult,
        timeRssKb: rss ? Number(rss) : undefined,
        wallMs,
      });
    });
  });
}

function context(endpoint: string, accounts: number) {
  const list = Array.from({ length: accounts }, (_, i) => {
    const id = accountIdFor(i);
    return {
      id,
      name: `acct-${i}`,
      role_arn: `arn:aws:iam::${id}:role/aws-user-bot`,
      external_id: 'bench',
      region: 'us-east-1',
    };
  });
  const config: Config = {
    ...parseFileConfig({ accounts: list, templates: {} }, 'bench'),
    source: 'bench',
    env: parseEnv({}),
  };
  const clients = new AccountClients(config.accounts, {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCHHOME', secretAccessKey: 'bench' },
    maxAttempts: 3,
    // Every bench account is assumed; the bot's own is moto's default.
    homeAccountId: '123456789012',
  });
  return {
    config,
    clients,
    auditor: new Auditor(new MemoryAuditSink(), systemClock, silentLogger()),
    clock: systemClock,
    logger: silentLogger(),
  };
}

const fmt = (n: number, d = 1) => n.toFixed(d);

export default async function detectBench(): Promise<string> {
  // 1. scale
  const big = await startSyntheticIam({
    accounts: SCALE.accounts,
    usersPerAccount: SCALE.users,
    latencyMs: LATENCY,
  });
  // Three runs on a shared machine: report the median run (by scan wall time) and the worst RSS.
  const runs: Awaited<ReturnType<typeof runChild>>[] = [];
  let bigCalls: Record<string, number> = {};
  let bigIam = 0;
  for (let i = 0; i < RUNS; i++) {
    big.reset();
    runs.push(await runChild(big.url));
    bigCalls = { ...big.calls };
    bigIam = big.totalIamCalls();
  }
  await big.stop();
  runs.sort((x, y) => x.r.scanMs - y.r.scanMs);
  const { r, wallMs } = runs[Math.floor(RUNS / 2)] as (typeof runs)[number];
  const walls = runs.map((x) => `${fmt(x.r.scanMs / 1000)} s`).join(', ');
  const totalUsers = SCALE.accounts * SCALE.users;
  const rssMb = Math.max(...runs.map((x) => x.r.scanMaxRssKb)) / 1024;
  const totalRssMb = Math.max(...runs.map((x) => x.timeRssKb ?? x.r.maxRssKb)) / 1024;
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

  // 2. comparison (both in this process, same endpoint, one after the other)
  const small = await startSyntheticIam({
    accounts: SMALL.accounts,
    usersPerAccount: SMALL.users,
    latencyMs: LATENCY,
  });
  const ctxA = context(small.url, SMALL.accounts);
  let t0 = performance.now();
  const res = await scan(ctxA);
  const ourMs = performance.now() - t0;
  const ourCalls = small.totalIamCalls();
  ctxA.clients.destroy();
  small.reset();
  const ctxB = context(small.url, SMALL.accounts);
  t0 = performance.now();
  const base = await perUserScan(ctxB.clients, small.accountIds, BASELINE_IN_FLIGHT);
  const baseMs = performance.now() - t0;
  const baseCalls = small.totalIamCalls();
  const baseByAction = { ...small.calls };
  ctxB.clients.destroy();
  await small.stop();
  const smallUsers = SMALL.accounts * SMALL.users;
  if (base.users !== smallUsers || res.accounts.some((a) => !a.ok))
    throw new Error('comparison did not cover every user');

  const ok = (b: boolean) => (b ? 'met' : '**missed**');
  const scanS = r.scanMs / 1000;
  const perUser = bigIam / totalUsers;
  return `## Detection (\`npm run bench -- detect\`)

Synthetic IAM/STS endpoint (\`test/helpers/synthetic-iam.ts\`): AssumeRole, GenerateCredentialReport
(STARTED once, then COMPLETE), GetCredentialReport (base64 CSV), GetAccountAuthorizationDetails in pages of
1,000 with Marker, and the per-user calls for the baseline; **${LATENCY} ms per call**. About 15% of synthetic
users carry a finding. Run on ${new Date().toISOString().slice(0, 10)}.

### Scale: ${SCALE.accounts} accounts × ${SCALE.users.toLocaleString('en')} users (${totalUsers.toLocaleString('en')} users), concurrency ${SCALE.concurrency}

| metric | result | target | |
|---|---|---|---|
| scan wall time, median of ${RUNS} runs (${walls}) | ${fmt(scanS)} s | ≤ 20 s | ${ok(scanS <= 20)} |
| IAM calls per user (one run) | ${perUser.toFixed(4)} (${bigIam.toLocaleString('en')} calls) | ≤ 0.01 | ${ok(perUser <= 0.01)} |
| peak RSS of the scanning process at the end of the scan, worst of ${RUNS} runs | ${fmt(rssMb, 0)} MB (process.resourceUsage().maxRSS) | ≤ 512 MB | ${ok(rssMb <= 512)} |
| CPU time of the scan (user + system, incl. start-up), median run | ${fmt(r.scanCpuMs / 1000)} s | | |
| live heap after a full GC at the end of the scan (findings etc.) | ${fmt(r.liveHeapMb, 0)} MB | | |

- Accounts analysed: ${r.accountsOk}/${SCALE.accounts}${r.accountsFailed.length ? ` (failed: ${r.accountsFailed.slice(0, 3).join('; ')})` : ''}; users ${r.users.toLocaleString('en')}; findings ${r.findings.toLocaleString('en')}.
- Then writing the CSV (${fmt(r.csvBytes / 1e6)} MB) and JSON (${fmt(r.jsonBytes / 1e6)} MB) as \`aws-user scan\` does (streamed to files): ${fmt(r.renderMs / 1000, 2)} s; peak RSS of the whole child including that, worst run: ${fmt(totalRssMb, 0)} MB (/usr/bin/time -v where present). Child wall incl. start-up ${fmt(wallMs / 1000)} s.
- Machine: ${cpus().length} cores shared with the other engineers' test runs; load average at the end of the run ${load} — wall times are inflated by it, CPU time is the steadier number.
- Calls by action: ${Object.entries(bigCalls)
    .map(([a, c]) => `${a} ${c}`)
    .join(
      ', ',
    )}. Per account: 1 AssumeRole, 2 GenerateCredentialReport (the backoff waits 250 ms between them), 1 GetCredentialReport, ${SCALE.users / 1000} GetAccountAuthorizationDetails pages.

### Comparison: ${SMALL.accounts} accounts × ${SMALL.users.toLocaleString('en')} users, same endpoint, same run

| method | IAM calls | calls per user | wall time |
|---|---|---|---|
| credential report + GetAccountAuthorizationDetails (this scan) | ${ourCalls} | ${(ourCalls / smallUsers).toFixed(4)} | ${fmt(ourMs / 1000, 2)} s |
| seed per-user method (${BASELINE_IN_FLIGHT} users in flight per account) | ${baseCalls.toLocaleString('en')} | ${(baseCalls / smallUsers).toFixed(2)} | ${fmt(baseMs / 1000, 2)} s |
| ratio (per-user ÷ this) | ${fmt(baseCalls / ourCalls, 0)}× calls | | ${fmt(baseMs / ourMs)}× time |

Baseline calls by action: ${Object.entries(baseByAction)
    .map(([a, c]) => `${a} ${c}`)
    .join(', ')}. The seed ran the
per-user method sequentially (≈ ${fmt((baseCalls * LATENCY) / 1000, 0)} s of pure latency here); giving it ${BASELINE_IN_FLIGHT} users in flight
per account flatters it, and real IAM would throttle it long before that.`;
}
