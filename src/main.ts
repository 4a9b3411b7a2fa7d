#!/usr/bin/env node
import { createApp, missingSlackEnv } from './app.js';
import { loadConfig } from './config.js';
import {
  AccountClients,
  Auditor,
  bindCore,
  type CoreContext,
  resolveHomeAccountId,
  startDiscovery,
  systemClock,
} from './core/index.js';
import type { BaseDeps } from './deps.js';
import { ConfigError, errorMessage } from './errors.js';
import { LEASE_LAPSED_MS } from './flows/requests/execute.js';
import { recoverAtStart } from './flows/requests/recover.js';
import { jobs, startJobs } from './jobs/index.js';
import { createLogger } from './logger.js';
import { drainAndClose } from './shutdown.js';
import { openStore } from './store/open.js';

/**
 * The real wiring: config → AWS clients → store (Redis, or the SQLite file under DATA_DIR) → Bolt app →
 * receiver + jobs. SIGTERM/SIGINT stop taking requests and jobs, let running work finish (bounded by
 * SHUTDOWN_GRACE_SECONDS), then close the store (and with it SQLite's instance lock): src/shutdown.ts.
 */
async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const missing = missingSlackEnv(config.env);
  if (missing) throw new ConfigError('environment', [missing]);
  // Every line names the replica, so an operator can see which one ran what (and the job leases working).
  const logger = createLogger(config.env.logLevel).child({ replica: config.env.replicaId });
  const clock = systemClock;
  const aws = { endpoint: config.env.awsEndpointUrl, region: config.env.awsRegion, clock };
  // Resolved once, before anything runs: past this point every account is a real id.
  const homeAccountId = await resolveHomeAccountId(config, aws);
  const clients = new AccountClients(config.accounts, { ...aws, homeAccountId });
  // Organizations discovery on this replica, now and every refresh_minutes (each replica serves its own list).
  // With static accounts a failure only logs and retries; with none there is nothing to manage but home.
  const discovery = config.organization
    ? startDiscovery(clients, config.organization, clock, logger)
    : undefined;
  await discovery?.first;
  if (config.organization && !clients.discoveredAt && config.accounts.length === 0)
    throw new Error(
      'organization discovery failed and no static accounts are configured; see the log line above',
    );
  const { store, kind: storeKind } = await openStore(config, logger);
  const ctx: CoreContext = {
    config,
    clients,
    auditor: new Auditor(store.audit, clock, logger),
    clock,
    logger,
  };
  const deps: BaseDeps = { config, core: bindCore(ctx), store, clock, logger };
  const bot = createApp(config, deps);
  const startedAt = clock.now();
  const port = await bot.start();
  const scheduled = startJobs(jobs, bot.deps);
  // Requests a killed process left `approving` are finished from what IAM says, not 30 minutes later.
  const recover = (at: Date) => {
    const release = bot.deps.drain.enter('recovery');
    if (!release) return;
    recoverAtStart(bot.deps, { startedAt: at, exclusive: storeKind !== 'redis' })
      .then((n) => n > 0 && logger.warn({ recovered: n }, 'recovered requests left running by a stopped bot'))
      .catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'recovery at start failed'))
      .finally(release);
  };
  recover(startedAt);
  if (storeKind === 'redis') setTimeout(() => recover(clock.now()), LEASE_LAPSED_MS + 5_000).unref();
  logger.info(
    {
      mode: bot.mode,
      port: bot.mode === 'http' ? port : config.env.port,
      store: storeKind,
    },
    bot.mode === 'http' ? `aws-user listening on :${port}/slack/events` : 'aws-user connected in Socket Mode',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.env.shutdownGraceMs }, 'shutting down');
    // The grace bounds the wait for running work; this bounds everything else (a hung receiver or store).
    const force = setTimeout(() => process.exit(1), config.env.shutdownGraceMs + 10_000);
    force.unref();
    const { drained } = await drainAndClose({
      drain: bot.deps.drain,
      jobs: scheduled,
      receiver: bot,
      store,
      logger,
      graceMs: config.env.shutdownGraceMs,
    });
    discovery?.stop();
    clients.destroy();
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return 0;
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad config): stderr is the only honest place for a start-up error.
  const text = err instanceof ConfigError ? err.message : `aws-user failed to start: ${errorMessage(err)}`;
  process.stderr.write(`${text}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
