import type { Redis } from 'ioredis';
import {
  applyRun,
  type FindingHistory,
  type FindingRecord,
  type RecordRunInput,
  type RecordRunResult,
  type ScanRun,
  type ScanSource,
} from '../core/detect/history.js';
import { StoreUnavailableError } from '../errors.js';

/** Keys per MGET and commands per MULTI: a 100k-finding run never becomes one giant reply or transaction. */
const CHUNK = 1_000;

/**
 * A run's member in `fhist:runs`: its recording sequence (zero-padded) before its id, so runs at the same
 * instant (equal scores, which Redis orders by member) list in the order they were recorded, as in SQLite.
 */
const runMember = (seq: number, id: string) => `${String(seq).padStart(15, '0')}|${id}`;
const runIdOf = (member: string) => member.slice(member.indexOf('|') + 1);

/**
 * Redis layout under `prefix`: `fhist:f:<id>` each finding's record (JSON); `fhist:open:<account>` the set
 * of an account's OPEN ids; `fhist:resolved` (score: resolved at) and `fhist:seen` (score: last seen) for
 * the range reads and pruning; `fhist:runs` (score: run time; member: `<recording seq>|<id>`) with
 * `fhist:run:<id>` and `fhist:run:<id>:ids`.
 *
 * A run reads its findings' records, applies the same rules as every store (applyRun), then writes the
 * records in MULTI chunks and the run itself last, so a reader that sees the run sees its resolutions.
 * Two scans recording at the same moment can interleave chunks; applyRun's "never move a record back"
 * rule makes the result the same as some order of the two.
 */
export class RedisFindingHistory implements FindingHistory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private k(...parts: string[]): string {
    return `${this.prefix}fhist:${parts.join(':')}`;
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  private async load(ids: readonly string[]): Promise<Map<string, FindingRecord>> {
    const out = new Map<string, FindingRecord>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const raws = await this.wrap(() => this.redis.mget(...chunk.map((id) => this.k('f', id))));
      raws.forEach((raw, j) => {
        if (raw) out.set(chunk[j] as string, JSON.parse(raw) as FindingRecord);
      });
    }
    return out;
  }

  async open(accountId: string): Promise<FindingRecord[]> {
    const ids = await this.wrap(() => this.redis.smembers(this.k('open', accountId)));
    return [...(await this.load(ids)).values()].filter((r) => r.status === 'OPEN');
  }

  async record(input: RecordRunInput): Promise<RecordRunResult> {
    const existing = await this.load([
      ...input.findings.map((f) => f.id),
      ...input.resolved.map((r) => r.id),
    ]);
    const changed: FindingRecord[] = [];
    const result = applyRun(
      input,
      (id) => existing.get(id),
      (r) => {
        existing.set(r.finding.id, r);
        changed.push(r);
      },
    );
    for (let i = 0; i < changed.length; i += CHUNK) {
      const multi = this.redis.multi();
      for (const r of changed.slice(i, i + CHUNK)) {
        const id = r.finding.id;
        multi.set(this.k('f', id), JSON.stringify(r));
        multi.zadd(this.k('seen'), Date.parse(r.lastSeen), id);
        if (r.status === 'OPEN') {
          multi.sadd(this.k('open', r.finding.accountId), id);
          multi.zrem(this.k('resolved'), id);
        } else {
          multi.srem(this.k('open', r.finding.accountId), id);
          multi.zadd(this.k('resolved'), Date.parse(r.resolvedAt ?? r.lastSeen), id);
        }
      }
      await this.wrap(() => multi.exec());
    }
    const run = result.run;
    const seq = await this.wrap(() => this.redis.incr(this.k('seq')));
    await this.wrap(() =>
      this.redis
        .multi()
        .set(this.k('run', run.id), JSON.stringify(run))
        .set(this.k('run', run.id, 'ids'), JSON.stringify(input.findings.map((f) => f.id)))
        .zadd(this.k('runs'), Date.parse(run.at), runMember(seq, run.id))
        .exec(),
    );
    return result;
  }

  async runs(opts: { limit: number; source?: ScanSource; before?: Date }): Promise<ScanRun[]> {
    const max = opts.before ? `(${opts.before.getTime()}` : '+inf';
    const out: ScanRun[] = [];
    // Newest first, a page at a time, until `limit` runs of the wanted source are found.
    for (let offset = 0; out.length < opts.limit; offset += 100) {
      const ids = (
        await this.wrap(() => this.redis.zrevrangebyscore(this.k('runs'), max, '-inf', 'LIMIT', offset, 100))
      ).map(runIdOf);
      if (ids.length === 0) break;
      const raws = await this.wrap(() => this.redis.mget(...ids.map((id) => this.k('run', id))));
      for (const raw of raws) {
        if (!raw) continue;
        const run = JSON.parse(raw) as ScanRun;
        if (!opts.source || run.source === opts.source) out.push(run);
        if (out.length === opts.limit) break;
      }
    }
    return out;
  }

  async runFindings(runId: string): Promise<string[]> {
    const raw = await this.wrap(() => this.redis.get(this.k('run', runId, 'ids')));
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  async resolvedSince(since: Date, accounts?: readonly string[]): Promise<FindingRecord[]> {
    const ids = await this.wrap(() =>
      this.redis.zrevrangebyscore(this.k('resolved'), '+inf', since.getTime()),
    );
    const records = [...(await this.load(ids)).values()].filter((r) => r.status === 'RESOLVED');
    return accounts ? records.filter((r) => accounts.includes(r.finding.accountId)) : records;
  }

  async prune(before: Date): Promise<{ runs: number; findings: number }> {
    const cut = `(${before.getTime()}`;
    const members = await this.wrap(() => this.redis.zrangebyscore(this.k('runs'), '-inf', cut));
    for (let i = 0; i < members.length; i += CHUNK) {
      const chunk = members.slice(i, i + CHUNK);
      await this.wrap(() =>
        this.redis
          .multi()
          .del(...chunk.map(runIdOf).flatMap((id) => [this.k('run', id), this.k('run', id, 'ids')]))
          .zrem(this.k('runs'), ...chunk)
          .exec(),
      );
    }
    // Resolved before the cut, or (still open) not seen since it: both sets name candidates.
    const candidates = new Set([
      ...(await this.wrap(() => this.redis.zrangebyscore(this.k('resolved'), '-inf', cut))),
      ...(await this.wrap(() => this.redis.zrangebyscore(this.k('seen'), '-inf', cut))),
    ]);
    const records = await this.load([...candidates]);
    const limit = before.toISOString();
    const gone = [...records.values()].filter(
      (r) => (r.status === 'RESOLVED' ? (r.resolvedAt ?? r.lastSeen) : r.lastSeen) < limit,
    );
    for (let i = 0; i < gone.length; i += CHUNK) {
      const multi = this.redis.multi();
      for (const r of gone.slice(i, i + CHUNK)) {
        const id = r.finding.id;
        multi.del(this.k('f', id));
        multi.zrem(this.k('seen'), id);
        multi.zrem(this.k('resolved'), id);
        multi.srem(this.k('open', r.finding.accountId), id);
      }
      await this.wrap(() => multi.exec());
    }
    return { runs: members.length, findings: gone.length };
  }
}
