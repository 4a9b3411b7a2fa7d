/**
 * Runs one scan in its own process so the benchmark measures this process's peak RSS, not the synthetic
 * server's. Plain JS over dist/ (`npm run bench` builds first), as the installed CLI runs: no TypeScript
 * loader in the measured process. Prints one JSON line. argv: <endpoint> <accounts> <concurrency>
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { parseEnv, parseFileConfig } from '../dist/config.js';
import { Auditor, MemoryAuditSink } from '../dist/core/audit.js';
import { AccountClients } from '../dist/core/aws/accounts.js';
import { systemClock } from '../dist/core/clock.js';
import { findingsCsvStream, findingsJsonStream } from '../dist/core/detect/findings-report.js';
import { scan } from '../dist/core/detect/scan.js';
import { silentLogger } from '../dist/logger.js';

const [endpoint = '', accountsArg = '1', concurrencyArg = '8'] = process.argv.slice(2);
// Same ids as accountIdFor() in test/helpers/synthetic-iam.ts.
const accounts = Array.from({ length: Number(accountsArg) }, (_, i) => {
  const id = String(100_000_000_000 + i);
  return {
    id,
    name: `acct-${i}`,
    role_arn: `arn:aws:iam::${id}:role/aws-user-bot`,
    external_id: 'bench',
    region: 'us-east-1',
  };
});
const file = parseFileConfig(
  { accounts, templates: {}, inactivity: { concurrency: Number(concurrencyArg) } },
  'bench',
);
const config = { ...file, source: 'bench', env: parseEnv({}) };
const clients = new AccountClients(config.accounts, {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCHHOME', secretAccessKey: 'bench' },
  maxAttempts: 3,
  // Every bench account is assumed; the bot's own is moto's default.
  homeAccountId: '123456789012',
});
const ctx = {
  config,
  clients,
  auditor: new Auditor(new MemoryAuditSink(), systemClock, silentLogger()),
  clock: systemClock,
  logger: silentLogger(),
};

const t0 = performance.now();
const result = await scan(ctx);
const scanMs = performance.now() - t0;
const cpu = process.cpuUsage();
const scanCpuMs = (cpu.user + cpu.system) / 1000;
const scanMaxRssKb = process.resourceUsage().maxRSS;
// What is really live (findings etc.) once garbage is collected; the rest of the peak is GC slack.
globalThis.gc?.();
const liveHeapMb = process.memoryUsage().heapUsed / 1e6;
const t1 = performance.now();
// Written as `aws-user scan` writes them: streamed to files.
const dir = mkdtempSync(join(tmpdir(), 'aws-user-bench-'));
await pipeline(findingsCsvStream(result), createWriteStream(join(dir, 'f.csv')));
await pipeline(findingsJsonStream(result, 'HIGH'), createWriteStream(join(dir, 'f.json')));
const renderMs = performance.now() - t1;
const csvBytes = statSync(join(dir, 'f.csv')).size;
const jsonBytes = statSync(join(dir, 'f.json')).size;
rmSync(dir, { recursive: true, force: true });
clients.destroy();
process.stdout.write(
  `${JSON.stringify({
    scanMs,
    scanCpuMs,
    scanMaxRssKb,
    liveHeapMb,
    renderMs,
    accountsOk: result.accounts.filter((a) => a.ok).length,
    accountsFailed: result.accounts.filter((a) => !a.ok).map((a) => a.error?.message),
    users: result.accounts.reduce((s, a) => s + a.userCount, 0),
    findings: result.findings.length,
    csvBytes,
    jsonBytes,
    maxRssKb: process.resourceUsage().maxRSS,
  })}\n`,
);
