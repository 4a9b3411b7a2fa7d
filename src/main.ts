#!/usr/bin/env node
import { createApp, missingSlackEnv } from './app.js';
import { loadConfig } from './config.js';
import {
  AccountClients,
  Auditor,
  bindCore,
  type CoreContext,
  resolveHomeAccountId,
  systemClock,
} from './core/index.js';
import type { BaseDeps } from './deps.js';
import { ConfigError, errorMessage } from './errors.js';
import { jobs, startJobs } from './jobs/index.js';
import { createLogger } from './logger.js';
import { openStore } from './store/open.js';

/**
 * The real wiring: config → AWS clients → store (Redis, or the SQLite file under DATA_DIR) → Bolt app →
 * receiver + jobs. SIGTERM/SIGINT stop taking requests, stop the jobs, then close the store (and with it
 * SQLite's instance lock).
 */
async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const missing = missingSlackEnv(config.env);
  if (missing) throw new ConfigError('environment', [missing]);
  const logger = createLogger(config.env.logLevel);
  const clock = systemClock;
  const aws = { endpoint: config.env.awsEndpointUrl, region: config.env.awsRegion, clock };
  // Resolved once, before anything runs: past this point every account is a real id.
  const homeAccountId = await resolveHomeAccountId(config, aws);
  const clients = new AccountClients(config.accounts, { ...aws, homeAccountId });
  const { store, kind: storeKind } = await openStore(config, logger);
  const ctx: CoreContext = { config, clients, auditor: new Auditor(store.audit, clock), clock, logger };
  const deps: BaseDeps = { config, core: bindCore(ctx), store, clock, logger };
  const bot = createApp(config, deps);
  const port = await bot.start();
  const scheduled = startJobs(jobs, bot.deps);
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
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await scheduled.stop().catch(() => undefined);
    await bot.stop().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'receiver stop failed'));
    await store.close().catch(() => undefined);
    clients.destroy();
    process.exit(0);
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
