import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Auditor } from './audit.js';
import type { AccountClients } from './aws/accounts.js';
import type { Clock } from './clock.js';
import type { IdentityCenterDirectory } from './identity-center/directory.js';

/**
 * What every core operation receives. Built once by the CLI or the bot and passed down; core/ holds no
 * module-level state and knows nothing of Slack.
 */
export interface CoreContext {
  config: Config;
  clients: AccountClients;
  auditor: Auditor;
  clock: Clock;
  logger: Logger;
  /** Backoff waits go through here, so tests of retry paths run instantly. Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Made on first use by `identityCenter(ctx)`: the instance is looked up once per context. */
  identityCenter?: IdentityCenterDirectory;
}

/** Who asked, and under which request id, for the audit trail and the AssumeRole session name. */
export interface Actor {
  actor: string;
  requestId: string;
}
