import { type Config, loadConfig } from '../config.js';
import { Auditor, type AuditSink, JsonlAuditSink, MemoryAuditSink } from '../core/audit.js';
import { AccountClients, type ClientFactoryOptions, resolveHomeAccountId } from '../core/aws/accounts.js';
import { refreshOrganization } from '../core/aws/organization.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { CoreContext } from '../core/context.js';
import { errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  auditLog?: string;
  verbose?: boolean;
}

/** Seams for tests: environment, clock and pre-built clients. */
export interface CliDeps {
  env: Record<string, string | undefined>;
  clock?: Clock;
  clients?: (config: Config) => AccountClients;
  auditSink?: AuditSink;
  logger?: Logger;
}

export async function buildContext(opts: GlobalOptions, deps: CliDeps): Promise<CoreContext> {
  const config = loadConfig(deps.env, opts.config);
  const clock = deps.clock ?? systemClock;
  const logger = cliLogger(opts, config, deps);
  const clients = deps.clients?.(config) ?? (await accountClients(config, clock));
  if (config.organization) await discoverOnce(clients, config, clock);
  const sink = deps.auditSink ?? (opts.auditLog ? new JsonlAuditSink(opts.auditLog) : new MemoryAuditSink());
  return { config, clients, auditor: new Auditor(sink, clock, logger), clock, logger };
}

/** CLI logs go to stderr so stdout stays machine-readable with --json; quiet (warn) unless --verbose. */
export function cliLogger(opts: GlobalOptions, config: Config, deps: CliDeps): Logger {
  return (
    deps.logger ??
    createLogger(
      opts.verbose ? 'debug' : config.env.logLevel === 'info' ? 'warn' : config.env.logLevel,
      process.stderr,
    )
  );
}

/**
 * One Organizations discovery per run. A failure stops the command (exit 2): a scan or a listing that
 * silently covered only the static accounts would pass for the whole organization.
 */
async function discoverOnce(clients: AccountClients, config: Config, clock: Clock): Promise<void> {
  if (!config.organization) return;
  try {
    await refreshOrganization(clients, config.organization, clock);
  } catch (err) {
    throw new Error(`${errorMessage(err)} (organization in ${config.source})`, { cause: err });
  }
}

async function accountClients(config: Config, clock: Clock): Promise<AccountClients> {
  const opts: ClientFactoryOptions = {
    endpoint: config.env.awsEndpointUrl,
    region: config.env.awsRegion,
    clock,
    rateLimit: config.iam?.requests_per_second
      ? { perSecond: config.iam.requests_per_second, burst: config.iam.burst }
      : undefined,
  };
  return new AccountClients(config.accounts, {
    ...opts,
    homeAccountId: await resolveHomeAccountId(config, opts),
  });
}
