import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { AuditEvent } from '../core/audit.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { RedisFindingHistory } from './finding-history-redis.js';
import { RedisGrantStore } from './grant-store-redis.js';
import { RedisJobRunStore } from './job-runs-redis.js';
import { LuaCommands } from './lua.js';
import { RedisReviewStore } from './review-store-redis.js';
import type {
  ApproveResult,
  DenyResult,
  FindingRef,
  MfaEnrollmentRecord,
  PendingRequest,
  Store,
  TemporaryUser,
} from './types.js';

/**
 * Redis store. Every transition of a request is one Lua script (src/store/lua/<name>-<numKeys>.lua), so
 * replicas racing on the same request serialise inside Redis. The client fails fast during an outage: no
 * offline queue, one retry, a per-command timeout; callers get StoreUnavailableError within ~1.5 s and
 * ioredis keeps reconnecting in the background.
 */
export const REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 1500,
  connectTimeout: 2000,
  // Queued commands would wait for a reconnect that may never come; failing lets the handler answer
  // "try again" inside Slack's 3 s.
  enableOfflineQueue: false,
  lazyConnect: true,
  retryStrategy: (times: number) => Math.min(times * 200, 2000),
};

/** Request records outlive their approval window so late clickers and the sweeper still see the outcome. */
const RETAIN_AFTER_EXPIRY_MS = 7 * 86_400_000;
const AUDIT_SCAN = 2_000;
const AUDIT_PAGE = 1_000;

const SCRIPTS = ['approve', 'deny', 'finish', 'expire', 'set-message', 'release-lock', 'take'] as const;
type ScriptName = (typeof SCRIPTS)[number];

type StoredRequest = PendingRequest & { expiresAtMs: number };

/** cjson turns an empty array into `{}`; put arrays back and drop the Lua-only field. */
function fromStored(raw: unknown): PendingRequest {
  const r = raw as StoredRequest;
  const { expiresAtMs: _drop, ...rest } = r;
  return {
    ...rest,
    approvals: Array.isArray(r.approvals) ? r.approvals : [],
    extraGroups: Array.isArray(r.extraGroups) ? r.extraGroups : [],
  };
}

function auditEventOf(fields: string[]): AuditEvent | undefined {
  const i = fields.indexOf('event');
  const raw = i >= 0 ? fields[i + 1] : undefined;
  return raw ? (JSON.parse(raw) as AuditEvent) : undefined;
}

export interface RedisStoreOptions {
  url: string;
  /** Prefix for every key, e.g. "aws-user:"; tests use a random one. */
  prefix?: string;
  logger?: Logger;
  redisOptions?: RedisOptions;
}

export class RedisStore implements Store {
  readonly redis: Redis;
  readonly prefix: string;
  private readonly scripts: LuaCommands<ScriptName>;
  readonly grants: RedisGrantStore;
  readonly jobs: RedisJobRunStore;
  readonly history: RedisFindingHistory;
  readonly reviews: RedisReviewStore;

  constructor(opts: RedisStoreOptions) {
    this.prefix = opts.prefix ?? 'aws-user:';
    this.redis = new Redis(opts.url, { ...REDIS_OPTIONS, ...opts.redisOptions });
    const log = opts.logger;
    let down = false;
    this.redis.on('error', (err: Error) => {
      // ioredis emits on every failed reconnect; log the first of a run, not one line per 200 ms.
      if (!down) log?.error({ err: err.message }, 'redis: connection error; reconnecting');
      down = true;
    });
    this.redis.on('ready', () => {
      if (down) log?.info('redis: reconnected');
      down = false;
    });
    this.scripts = new LuaCommands(this.redis, SCRIPTS);
    this.grants = new RedisGrantStore(this.redis, this.prefix);
    this.jobs = new RedisJobRunStore(this.redis, this.prefix);
    this.history = new RedisFindingHistory(this.redis, this.prefix);
    this.reviews = new RedisReviewStore(this.redis, this.prefix);
  }

  /** Connects once at start; later outages are handled by ioredis's reconnect. */
  async connect(): Promise<void> {
    if (this.redis.status === 'wait') await this.wrap(() => this.redis.connect());
  }

  private k(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  private run(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    const send = this.scripts.command(name, keys);
    return this.wrap(() => send(args.map(String)));
  }

  async ping(): Promise<void> {
    await this.wrap(() => this.redis.ping());
  }

  async createRequest(req: PendingRequest): Promise<void> {
    const expiresAtMs = Date.parse(req.expiresAt);
    const stored: StoredRequest = { ...req, expiresAtMs };
    // Relative, not PXAT: the approval window comes from the injected clock, Redis expiry from its own.
    const ttlMs = Math.max(expiresAtMs - Date.parse(req.createdAt), 1000) + RETAIN_AFTER_EXPIRY_MS;
    await this.wrap(() =>
      this.redis
        .multi()
        .set(this.k('req', req.id), JSON.stringify(stored), 'PX', ttlMs, 'NX')
        .zadd(this.k('pending'), expiresAtMs, req.id)
        .exec(),
    );
  }

  async getRequest(id: string): Promise<PendingRequest | undefined> {
    const raw = await this.wrap(() => this.redis.get(this.k('req', id)));
    return raw ? fromStored(JSON.parse(raw)) : undefined;
  }

  async setRequestMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    await this.run('set-message', [this.k('req', id)], [message.channel, message.ts]);
  }

  async approve(id: string, approver: string, now: Date): Promise<ApproveResult> {
    const out = JSON.parse(
      (await this.run(
        'approve',
        [this.k('req', id), this.k('pending'), this.k('approving')],
        [approver, now.getTime(), now.toISOString()],
      )) as string,
    ) as { result: ApproveResult['result']; request?: unknown };
    if (out.result === 'missing') return { result: 'missing' };
    return { result: out.result, request: fromStored(out.request) } as ApproveResult;
  }

  async deny(id: string, by: string, now: Date, reason?: string): Promise<DenyResult> {
    const outcome = reason ? `denied: ${reason}` : 'denied';
    const out = JSON.parse(
      (await this.run(
        'deny',
        [this.k('req', id), this.k('pending')],
        [by, now.getTime(), now.toISOString(), outcome],
      )) as string,
    ) as { result: DenyResult['result']; request?: unknown };
    if (out.result === 'missing') return { result: 'missing' };
    return { result: out.result, request: fromStored(out.request) } as DenyResult;
  }

  async finish(id: string, status: 'done' | 'failed', outcome: string, now: Date): Promise<boolean> {
    return (
      (await this.run(
        'finish',
        [this.k('req', id), this.k('approving')],
        [status, outcome, now.toISOString()],
      )) === 1
    );
  }

  async expireDue(now: Date): Promise<PendingRequest[]> {
    const ids = await this.wrap(() => this.redis.zrangebyscore(this.k('pending'), '-inf', now.getTime()));
    const moved: PendingRequest[] = [];
    for (const id of ids) {
      const raw = await this.run(
        'expire',
        [this.k('req', id), this.k('pending')],
        [id, now.getTime(), now.toISOString()],
      );
      if (typeof raw === 'string') moved.push(fromStored(JSON.parse(raw)));
    }
    return moved;
  }

  async renewApproving(id: string, now: Date): Promise<void> {
    // XX: only moves a score that is there; finish() removes the id, so a late renewal adds nothing back.
    await this.wrap(() => this.redis.zadd(this.k('approving'), 'XX', now.getTime(), id));
  }

  async listApprovingSince(cutoff: Date): Promise<PendingRequest[]> {
    const ids = await this.wrap(() =>
      this.redis.zrangebyscore(this.k('approving'), '-inf', `(${cutoff.getTime()}`),
    );
    if (ids.length === 0) return [];
    const raws = await this.wrap(() => this.redis.mget(...ids.map((id) => this.k('req', id))));
    return raws
      .filter((r): r is string => typeof r === 'string')
      .map((r) => fromStored(JSON.parse(r)))
      .filter((r) => r.status === 'approving');
  }

  async listPending(): Promise<PendingRequest[]> {
    const ids = await this.wrap(() => this.redis.zrange(this.k('pending'), 0, -1));
    if (ids.length === 0) return [];
    const raws = await this.wrap(() => this.redis.mget(...ids.map((id) => this.k('req', id))));
    return raws
      .filter((r): r is string => typeof r === 'string')
      .map((r) => fromStored(JSON.parse(r)))
      .filter((r) => r.status === 'pending');
  }

  async putFindingRefs(refs: FindingRef[], ttlMs: number): Promise<void> {
    if (refs.length === 0) return;
    const multi = this.redis.multi();
    for (const r of refs) multi.set(this.k('finding', r.id), JSON.stringify(r), 'PX', ttlMs);
    await this.wrap(() => multi.exec());
  }

  async getFindingRef(id: string): Promise<FindingRef | undefined> {
    const raw = await this.wrap(() => this.redis.get(this.k('finding', id)));
    return raw ? (JSON.parse(raw) as FindingRef) : undefined;
  }

  async putMfa(e: MfaEnrollmentRecord): Promise<void> {
    await this.wrap(() =>
      this.redis
        .multi()
        .set(this.k('mfa', e.id), JSON.stringify(e), 'PX', 7 * 86_400_000)
        .zadd(this.k('mfa-index'), Date.parse(e.startedAt), e.id)
        .exec(),
    );
  }

  async getMfa(id: string): Promise<MfaEnrollmentRecord | undefined> {
    const raw = await this.wrap(() => this.redis.get(this.k('mfa', id)));
    return raw ? (JSON.parse(raw) as MfaEnrollmentRecord) : undefined;
  }

  async takeMfa(id: string): Promise<MfaEnrollmentRecord | undefined> {
    const raw = await this.run('take', [this.k('mfa', id), this.k('mfa-index')], [id]);
    return typeof raw === 'string' ? (JSON.parse(raw) as MfaEnrollmentRecord) : undefined;
  }

  async listMfaStartedBefore(cutoff: Date): Promise<MfaEnrollmentRecord[]> {
    const ids = await this.wrap(() =>
      this.redis.zrangebyscore(this.k('mfa-index'), '-inf', `(${cutoff.getTime()}`),
    );
    if (ids.length === 0) return [];
    const raws = await this.wrap(() => this.redis.mget(...ids.map((id) => this.k('mfa', id))));
    return raws
      .filter((r): r is string => typeof r === 'string')
      .map((r) => JSON.parse(r) as MfaEnrollmentRecord);
  }

  async putTemporaryUser(g: TemporaryUser): Promise<void> {
    await this.wrap(() =>
      this.redis
        .multi()
        .set(this.k('tempuser', g.id), JSON.stringify(g))
        .zadd(this.k('tempusers'), Date.parse(g.endsAt), g.id)
        .exec(),
    );
  }

  async takeDueTemporaryUsers(now: Date): Promise<TemporaryUser[]> {
    const ids = await this.wrap(() => this.redis.zrangebyscore(this.k('tempusers'), '-inf', now.getTime()));
    const out: TemporaryUser[] = [];
    for (const id of ids) {
      const raw = await this.run('take', [this.k('tempuser', id), this.k('tempusers')], [id]);
      if (typeof raw === 'string') out.push(JSON.parse(raw) as TemporaryUser);
    }
    return out;
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.wrap(() => this.redis.set(this.k('lock', name), token, 'PX', ttlMs, 'NX'));
    return ok === 'OK' ? token : undefined;
  }

  async firstSeen(key: string, ttlMs: number): Promise<boolean> {
    const ok = await this.wrap(() => this.redis.set(this.k('seen', key), '1', 'PX', ttlMs, 'NX'));
    return ok === 'OK';
  }

  async seen(key: string): Promise<boolean> {
    return (await this.wrap(() => this.redis.exists(this.k('seen', key)))) === 1;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    return (await this.run('release-lock', [this.k('lock', name)], [token])) === 1;
  }

  readonly audit = {
    append: async (event: AuditEvent): Promise<void> => {
      await this.wrap(() =>
        // Never capped: the trail is evidence. Only prune (the retention job) removes events.
        this.redis.xadd(this.k('audit'), '*', 'event', JSON.stringify(event)),
      );
    },
    recent: async (opts: { target?: string; limit: number }): Promise<AuditEvent[]> => {
      const entries = await this.wrap(() =>
        this.redis.xrevrange(this.k('audit'), '+', '-', 'COUNT', opts.target ? AUDIT_SCAN : opts.limit),
      );
      const out: AuditEvent[] = [];
      for (const [, fields] of entries) {
        const ev = auditEventOf(fields);
        if (!ev) continue;
        if (opts.target && ev.target !== opts.target) continue;
        out.push(ev);
        if (out.length >= opts.limit) break;
      }
      return out;
    },
    /**
     * Stream ids come from Redis's clock and events' ts from the bot's, so the range is decided on ts while
     * reading in stream order; the cursor is the last stream id read.
     */
    scan: async (opts: { since: Date; until?: Date; limit: number; cursor?: string }) => {
      const events: AuditEvent[] = [];
      let from = opts.cursor ? `(${opts.cursor}` : '-';
      for (;;) {
        const start = from;
        const page = await this.wrap(() =>
          this.redis.xrange(this.k('audit'), start, '+', 'COUNT', AUDIT_PAGE),
        );
        for (const [id, fields] of page) {
          from = `(${id}`;
          const ev = auditEventOf(fields);
          const t = ev ? Date.parse(ev.ts) : Number.NaN;
          if (ev && t >= opts.since.getTime() && (!opts.until || t < opts.until.getTime())) events.push(ev);
          if (events.length >= opts.limit) return { events, cursor: id };
        }
        if (page.length < AUDIT_PAGE) return { events };
      }
    },
    /** Deletes, in stream order, every event whose ts is before `before`. */
    prune: async (before: Date): Promise<number> => {
      let gone = 0;
      let from = '-';
      for (;;) {
        const start = from;
        const page = await this.wrap(() =>
          this.redis.xrange(this.k('audit'), start, '+', 'COUNT', AUDIT_PAGE),
        );
        const old = page
          .filter(([, fields]) => {
            const ev = auditEventOf(fields);
            return ev !== undefined && Date.parse(ev.ts) < before.getTime();
          })
          .map(([id]) => id);
        if (old.length > 0) gone += await this.wrap(() => this.redis.xdel(this.k('audit'), ...old));
        const last = page.at(-1);
        if (!last || page.length < AUDIT_PAGE) return gone;
        from = `(${last[0]}`;
      }
    },
  };

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
