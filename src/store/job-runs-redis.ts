import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../errors.js';
import {
  type ClaimOptions,
  type JobRow,
  type JobRunStore,
  type JobState,
  jobStateOf,
  type RunResult,
  type SkipReason,
  type TickClaim,
} from './job-runs.js';
import { LuaCommands } from './lua.js';

const SCRIPTS = ['job-register', 'job-claim', 'job-renew', 'job-complete'] as const;

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/**
 * Redis layout under `prefix`: `jobrun:<name>` a hash (schedule, nextDue, claimedTick/By,
 * completedTick/By/At, outcome, durationMs, runningBy), `jobrun:<name>:lease` the running run's token with a
 * TTL on Redis's own clock, so replicas' clocks never decide whether a lease lapsed, and `jobruns` the set
 * of names. Every transition is one Lua script (src/store/lua/job-*.lua).
 */
export class RedisJobRunStore implements JobRunStore {
  private readonly scripts: LuaCommands<(typeof SCRIPTS)[number]>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaCommands(redis, SCRIPTS);
  }

  private hash(job: string) {
    return `${this.prefix}jobrun:${job}`;
  }
  private lease(job: string) {
    return `${this.prefix}jobrun:${job}:lease`;
  }
  private get names() {
    return `${this.prefix}jobruns`;
  }

  private async call(name: (typeof SCRIPTS)[number], keys: string[], args: (string | number)[]) {
    const send = this.scripts.command(name, keys);
    try {
      return await send(args.map(String));
    } catch (err) {
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  async register(job: string, schedule: string, nextDue: Date): Promise<{ state: JobState; reset: boolean }> {
    const reset =
      (await this.call('job-register', [this.hash(job), this.names], [schedule, nextDue.getTime(), job])) ===
      1;
    const state = await this.read(job);
    return { state, reset };
  }

  async claim(job: string, tick: Date, opts: ClaimOptions): Promise<TickClaim> {
    const token = randomUUID();
    const [result, by] = (await this.call(
      'job-claim',
      [this.hash(job), this.lease(job), this.names],
      [tick.getTime(), token, opts.leaseMs, opts.replica, opts.retake ? '1' : '0', job],
    )) as [string, string?];
    if (result === 'ok') return { claimed: true, token };
    return { claimed: false, reason: result as SkipReason, ...(by ? { by } : {}) };
  }

  async renew(job: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.call('job-renew', [this.lease(job)], [token, leaseMs])) === 1;
  }

  async complete(job: string, tick: Date, token: string, r: RunResult): Promise<void> {
    await this.call(
      'job-complete',
      [this.hash(job), this.lease(job)],
      [
        tick.getTime(),
        token,
        r.replica,
        r.now.getTime(),
        r.outcome,
        Math.round(r.durationMs),
        r.nextDue ? r.nextDue.getTime() : '',
      ],
    );
  }

  async list(): Promise<JobState[]> {
    const names = (await this.wrap(() => this.redis.smembers(this.names))).sort();
    return Promise.all(names.map((job) => this.read(job)));
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  private async read(job: string): Promise<JobState> {
    const [h, running] = await this.wrap(() =>
      Promise.all([this.redis.hgetall(this.hash(job)), this.redis.exists(this.lease(job))]),
    );
    // The hash as the row the other stores keep; the lease is its own key here, so its holder comes apart.
    const row: JobRow = {
      schedule: h.schedule,
      nextDueMs: num(h.nextDue),
      claimedTickMs: num(h.claimedTick),
      claimedBy: h.claimedBy,
      completedTickMs: num(h.completedTick),
      completedBy: h.completedBy,
      completedAtMs: num(h.completedAt),
      outcome: h.outcome as JobRow['outcome'],
      durationMs: num(h.durationMs),
    };
    return jobStateOf(job, row, running === 1 ? h.runningBy : undefined);
  }
}
