import type { Redis } from 'ioredis';
import type { Grant, GrantMessage } from '../core/grants.js';
import { ConflictError } from '../errors.js';
import {
  type GrantStore,
  MAX_GRANT_MESSAGES,
  matches,
  NOTIFY_BEFORE_MS,
  parseGrant,
  REVOKED_RETENTION_SECONDS,
} from './grant-store.js';
import { LuaCommands } from './lua.js';

const SCRIPTS = [
  'grant-upsert',
  'grant-claim-due',
  'grant-claim-one',
  'grant-claim-notices',
  'grant-messages',
  'rate-limit-take',
] as const;

/**
 * Redis layout under `prefix`: `grant:<id>` the record (JSON), `grants:due` a sorted set scored by expiry,
 * `grants:notify` a sorted set scored by notice time, `allow:<key>` fixed-window counters.
 * The scripts build record keys from the prefix, so this store assumes a single Redis (not Cluster).
 */
export class RedisGrantStore implements GrantStore {
  private readonly scripts: LuaCommands<(typeof SCRIPTS)[number]>;
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaCommands(redis, SCRIPTS);
  }

  private key(id: string) {
    return `${this.prefix}grant:${id}`;
  }
  private get due() {
    return `${this.prefix}grants:due`;
  }
  private get notify() {
    return `${this.prefix}grants:notify`;
  }

  async upsert(grant: Grant): Promise<Grant> {
    try {
      const json = (await this.scripts.call(
        'grant-upsert',
        [this.key(grant.id), this.due, this.notify],
        [JSON.stringify(grant), Date.parse(grant.expiresAt), NOTIFY_BEFORE_MS, grant.id],
      )) as string;
      return parseGrant(json);
    } catch (err) {
      if ((err as Error).message.includes('REVOKING')) {
        throw new ConflictError('that grant is being revoked right now; request it again in a moment', {
          cause: err,
        });
      }
      throw err;
    }
  }

  async get(id: string): Promise<Grant | undefined> {
    const json = await this.redis.get(this.key(id));
    return json ? parseGrant(json) : undefined;
  }

  async listActive(filter?: {
    account?: string;
    username?: string;
    ownerSlackId?: string;
  }): Promise<Grant[]> {
    const ids = await this.redis.zrange(this.due, 0, -1);
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(ids.map((id) => this.key(id)));
    return jsons
      .filter((j): j is string => j !== null)
      .map(parseGrant)
      .filter((g) => g.status === 'active' && matches(g, filter));
  }

  async claimDue(now: Date, limit: number): Promise<Grant[]> {
    const out = (await this.scripts.call(
      'grant-claim-due',
      [this.due, this.notify],
      [now.getTime(), limit, `${this.prefix}grant:`],
    )) as string[];
    return out.map(parseGrant);
  }

  async claimNow(id: string): Promise<Grant | undefined> {
    const json = (await this.scripts.call('grant-claim-one', [this.key(id), this.due, this.notify], [id])) as
      | string
      | null;
    return json ? parseGrant(json) : undefined;
  }

  async claimNotices(now: Date, limit: number): Promise<Grant[]> {
    const out = (await this.scripts.call(
      'grant-claim-notices',
      [this.notify],
      [now.getTime(), limit, `${this.prefix}grant:`],
    )) as string[];
    return out.map(parseGrant);
  }

  async complete(grant: Grant, revokedBy: string, at: Date): Promise<void> {
    const done: Grant = { ...grant, status: 'revoked', revokedBy, revokedAt: at.toISOString() };
    await this.redis.set(this.key(grant.id), JSON.stringify(done), 'EX', REVOKED_RETENTION_SECONDS);
  }

  async release(grant: Grant, retryAt: Date): Promise<void> {
    const back: Grant = { ...grant, status: 'active' };
    await this.redis
      .multi()
      .set(this.key(grant.id), JSON.stringify(back))
      .zadd(this.due, retryAt.getTime(), grant.id)
      .exec();
  }

  async recordMessages(id: string, messages: GrantMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const refs = messages.map((m) => ({ channel: m.channel, ts: m.ts }));
    await this.scripts.call('grant-messages', [this.key(id)], [JSON.stringify(refs), MAX_GRANT_MESSAGES]);
  }

  async takeAllowance(key: string, limit: number, windowSeconds: number): Promise<boolean> {
    const r = await this.scripts.call(
      'rate-limit-take',
      [`${this.prefix}allow:${key}`],
      [limit, windowSeconds],
    );
    return r === 1;
  }
}
