import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { Store } from './types.js';

export interface OpenedStore {
  store: Store;
  kind: 'redis' | 'sqlite' | 'memory';
}

/**
 * The store the bot (and the CLI's audit export) runs on: Redis when REDIS_URL is set, for several replicas;
 * otherwise the embedded SQLite file under DATA_DIR, for one instance. The memory store is for tests only.
 */
export async function openStore(config: Config, logger: Logger): Promise<OpenedStore> {
  if (config.env.redisUrl) {
    const redis = new RedisStore({ url: config.env.redisUrl, prefix: config.env.redisKeyPrefix, logger });
    await redis.connect().catch((err: unknown) => {
      // Not fatal: ioredis keeps reconnecting, /healthz says 503 and commands say "try again" meanwhile.
      logger.error({ err: errorMessage(err) }, 'redis: not reachable at start; will keep retrying');
    });
    return { store: redis, kind: 'redis' };
  }
  logger.warn(
    '!!! REDIS_URL is not set: approvals, MFA enrollments and job locks live IN MEMORY. They vanish on restart and are NOT shared between replicas: run exactly one instance, or set REDIS_URL. !!!',
  );
  return { store: new MemoryStore(), kind: 'memory' };
}
