import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { type Clock, systemClock } from '../core/clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { acquireInstanceLock } from './instance-lock.js';
import { RedisStore } from './redis.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export interface OpenedStore {
  store: Store;
  kind: 'redis' | 'sqlite' | 'memory';
  /** Where the state lives, for the start-up line: the SQLite file, or Redis's address without credentials. */
  where: string;
}

export interface OpenStoreOptions {
  clock?: Clock;
  /**
   * A reader beside the running bot (the CLI's audit export): SQLite is opened read-only and without the
   * instance lock; the file must already exist.
   */
  readOnly?: boolean;
  /**
   * A writer beside the running bot (the CLI's scan recording its run in the finding history): SQLite is
   * opened read-write without the instance lock, which belongs to the bot; SQLite's own locking serialises
   * the two writers' transactions.
   */
  beside?: boolean;
}

export const SQLITE_FILE = 'aws-user.db';
export const LOCK_FILE = 'aws-user.lock';

/**
 * The store the bot (and the CLI's audit export) runs on: Redis when REDIS_URL is set, for several replicas;
 * otherwise the embedded SQLite file under DATA_DIR (created on first run), for exactly one instance, which
 * the instance lock enforces. The memory store is for tests only.
 */
export async function openStore(
  config: Config,
  logger: Logger,
  opts: OpenStoreOptions = {},
): Promise<OpenedStore> {
  if (config.env.redisUrl) {
    const where = redactedUrl(config.env.redisUrl);
    const redis = new RedisStore({ url: config.env.redisUrl, prefix: config.env.redisKeyPrefix, logger });
    await redis.connect().catch((err: unknown) => {
      // Not fatal: ioredis keeps reconnecting, /healthz says 503 and commands say "try again" meanwhile.
      logger.error({ err: errorMessage(err) }, 'redis: not reachable at start; will keep retrying');
    });
    logger.info({ store: 'redis', where, prefix: config.env.redisKeyPrefix }, `store: Redis at ${where}`);
    return { store: redis, kind: 'redis', where };
  }
  const dir = resolve(config.env.dataDir);
  const path = join(dir, SQLITE_FILE);
  const clock = opts.clock ?? systemClock;
  if (opts.readOnly) {
    return { store: new SqliteStore({ path, clock, logger, readonly: true }), kind: 'sqlite', where: path };
  }
  mkdirSync(dir, { recursive: true });
  if (opts.beside) return { store: new SqliteStore({ path, clock, logger }), kind: 'sqlite', where: path };
  const lock = acquireInstanceLock(join(dir, LOCK_FILE), { dataDir: config.env.dataDir });
  let store: SqliteStore;
  try {
    store = new SqliteStore({ path, clock, logger, onClose: () => lock.release() });
  } catch (err) {
    lock.release();
    throw err;
  }
  const dropped = store.dropStaleLeases();
  if (dropped > 0)
    logger.warn(
      { leases: dropped },
      'sqlite: dropped job leases left by a previous instance that did not stop cleanly',
    );
  logger.info(
    { store: 'sqlite', where: path },
    `store: SQLite at ${path} (one instance per DATA_DIR; set REDIS_URL to run several replicas)`,
  );
  return { store, kind: 'sqlite', where: path };
}

function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}
