import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { RedisStore } from '../../src/store/redis.js';

/** A RedisStore on the suite's Redis under a random prefix, connected. */
export async function redisStore(prefix = `t:${randomBytes(6).toString('hex')}:`): Promise<RedisStore> {
  const s = new RedisStore({ url: inject('redisUrl'), prefix });
  await s.connect();
  return s;
}
