/**
 * Runs one scan in its own process so the benchmark measures this process's peak RSS, not the synthetic
 * server's. Prints one JSON line. argv: <endpoint> <accounts> <concurrency>
 */
import { performance } from 'node:perf_hooks';
import { type Config, parseEnv, parseFileConfig } from '../src/config.js';
import { AccountClients } from '../src/core/accounts.js';
import { Auditor, MemoryAuditSink } from '../src/core/audit.js';
import { systemClock } from '../src/core/clock.js';
import { findingsCsv, findingsDocument } from '../src/core/findings-report.js';
import { scan } from '../src/core/scan.js';
import { silentLogger } from '../src/logger.js';
import { accountIdFor } from '../test/helpers/synthetic-iam.js';

const [endpoint = '', accountsArg = '1', concurrencyArg = '16'] = process.argv.slice(2);
const accounts = Array.from({ length: Number(accountsArg) }, (_, i) => {
  const id = accountIdFor(i);
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
const config: Config = { ...file, source: 'bench', env: parseEnv({}) };
const clients = new AccountClients(config.accounts, {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCHHOME', secretAccessKey: 'bench' },
  maxAttempts: 3,
});
const ctx = {
  config,
  clients,
  auditor: new Auditor(new MemoryAuditSink(), systemClock),
  clock: systemClock,
  logger: silentLogger(),
};

const t0 = performance.now();
const result = await scan(ctx);
const scanMs = performance.now() - t0;
const scanCpuMs = process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
const scanMaxRssKb = process.resourceUsage().maxRSS;
const t1 = performance.now();
const csvBytes = findingsCsv(result).length;
const jsonBytes = JSON.stringify(findingsDocument(result, 'HIGH')).length;
const renderMs = performance.now() - t1;
clients.destroy();
process.stdout.write(
  `${JSON.stringify({
    scanMs,
    scanCpuMs,
    scanMaxRssKb,
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
