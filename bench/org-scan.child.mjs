/**
 * One Organizations discovery plus a full scan (mode `org`), or the same accounts listed in config and
 * scanned (mode `config`), in its own process so its peak RSS is its own. Plain JS over dist/ (`npm run
 * bench` builds first). Prints one JSON line. argv: <endpoint> <accounts> <concurrency> <org|config>
 */
import { performance } from 'node:perf_hooks';
import { parseEnv, parseFileConfig } from '../dist/config.js';
import { Auditor, MemoryAuditSink } from '../dist/core/audit.js';
import { AccountClients } from '../dist/core/aws/accounts.js';
import { refreshOrganization } from '../dist/core/aws/organization.js';
import { systemClock } from '../dist/core/clock.js';
import { scan } from '../dist/core/detect/scan.js';
import { silentLogger } from '../dist/logger.js';

const [endpoint = '', accountsArg = '1', concurrencyArg = '8', mode = 'org'] = process.argv.slice(2);
// Same ids and names as test/helpers/synthetic-iam.ts serves from ListAccounts.
const listed = Array.from({ length: Number(accountsArg) }, (_, i) => {
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
  {
    accounts: mode === 'config' ? listed : [],
    ...(mode === 'org'
      ? { organization: { role_name: 'aws-user-bot', external_id: 'bench', region: 'us-east-1' } }
      : {}),
    templates: {},
    inactivity: { concurrency: Number(concurrencyArg) },
  },
  'bench',
);
const config = { ...file, source: 'bench', env: parseEnv({}) };
const clients = new AccountClients(config.accounts, {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCHHOME', secretAccessKey: 'bench' },
  maxAttempts: 3,
  // The management account (the bot's own) is not among the synthetic accounts.
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
const discovered = config.organization
  ? await refreshOrganization(clients, config.organization, systemClock)
  : 0;
const discoveryMs = performance.now() - t0;
const result = await scan(ctx);
const totalMs = performance.now() - t0;
const cpu = process.cpuUsage();
clients.destroy();
process.stdout.write(
  `${JSON.stringify({
    discovered,
    discoveryMs,
    scanMs: totalMs - discoveryMs,
    totalMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
    accountsOk: result.accounts.filter((a) => a.ok).length,
    accountsFailed: result.accounts.filter((a) => !a.ok).map((a) => a.error?.message),
    users: result.accounts.reduce((s, a) => s + a.userCount, 0),
    findings: result.findings.length,
  })}\n`,
);
