import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, fixedClock } from '../../src/core/clock.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { RedisStore } from '../../src/store/redis.js';
import type { PendingRequest, Store } from '../../src/store/types.js';
import { freePort } from '../helpers/ports.js';
import { monitorCommands, redisStore, sqliteStore } from '../helpers/store.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

function request(over: Partial<PendingRequest> = {}): PendingRequest {
  return {
    id: `r-${Math.random().toString(36).slice(2)}`,
    kind: 'create',
    requester: 'UREQ',
    target: { username: 'alice', email: 'alice@example.com', slackUserId: 'UALICE' },
    template: 'developer',
    account: '123456789012',
    justification: 'new hire',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: T0.toISOString(),
    expiresAt: later(3_600_000).toISOString(),
    ...over,
  };
}

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** The one contract every store keeps; each test gets a fresh store (a new file, a new key prefix). */
describe.each([
  ['memory', async () => new MemoryStore() as Store],
  ['sqlite', async () => sqliteStore() as Store],
  ['redis', async () => (await redisStore()) as Store],
])('%s store', (_name, make) => {
  async function store(): Promise<Store> {
    const s = await make();
    stores.push(s);
    return s;
  }

  it('answers firstSeen true once per key, across racing callers, and seen only for a set key', async () => {
    const s = await store();
    expect(await s.seen('sig:a')).toBe(false);
    const racing = await Promise.all(Array.from({ length: 8 }, () => s.firstSeen('sig:a', 60_000)));
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await s.firstSeen('sig:a', 60_000)).toBe(false);
    expect(await s.seen('sig:a')).toBe(true);
    expect(await s.firstSeen('sig:b', 60_000)).toBe(true);
    expect(await s.seen('sig:c')).toBe(false);
  });

  it('round-trips a request, keeping empty arrays as arrays', async () => {
    const s = await store();
    const r = request();
    await s.createRequest(r);
    expect(await s.getRequest(r.id)).toEqual(r);
    expect(await s.getRequest('nope')).toBeUndefined();
  });

  it('moves pending → approving on the quorum, counting distinct approvers only', async () => {
    const s = await store();
    const r = request({ approvalsNeeded: 2 });
    await s.createRequest(r);
    expect((await s.approve(r.id, 'UA', later(1))).result).toBe('counted');
    expect((await s.approve(r.id, 'UA', later(2))).result).toBe('duplicate');
    const second = await s.approve(r.id, 'UB', later(3));
    expect(second.result).toBe('approved');
    expect(second.result === 'approved' && second.request.approvals.map((a) => a.user)).toEqual(['UA', 'UB']);
    const late = await s.approve(r.id, 'UC', later(4));
    expect(late.result).toBe('closed');
    expect(late.result === 'closed' && late.request.decidedBy).toBe('UB');
    expect(await s.listPending()).toEqual([]);
  });

  it('finishes only an approving request, once', async () => {
    const s = await store();
    const r = request();
    await s.createRequest(r);
    expect(await s.finish(r.id, 'done', 'created', later(1))).toBe(false);
    await s.approve(r.id, 'UA', later(1));
    expect(await s.finish(r.id, 'done', 'created', later(2))).toBe(true);
    expect(await s.finish(r.id, 'failed', 'again', later(3))).toBe(false);
    expect((await s.getRequest(r.id))?.status).toBe('done');
  });

  it('denies, and a later approve is told it is closed', async () => {
    const s = await store();
    const r = request();
    await s.createRequest(r);
    expect((await s.deny(r.id, 'UD', later(1), 'not needed')).result).toBe('denied');
    const a = await s.approve(r.id, 'UA', later(2));
    expect(a.result === 'closed' && [a.request.status, a.request.decidedBy, a.request.outcome]).toEqual([
      'denied',
      'UD',
      'denied: not needed',
    ]);
  });

  it('expires due requests once, and an approve after expiry is refused', async () => {
    const s = await store();
    const due = request();
    const fresh = request({ expiresAt: later(10 * 3_600_000).toISOString() });
    await s.createRequest(due);
    await s.createRequest(fresh);
    const moved = await s.expireDue(later(3_600_000));
    expect(moved.map((r) => r.id)).toEqual([due.id]);
    expect(await s.expireDue(later(3_600_001))).toEqual([]);
    expect((await s.approve(due.id, 'UA', later(3_600_002))).result).toBe('closed');
    const other = request();
    await s.createRequest(other);
    expect((await s.approve(other.id, 'UA', later(3_600_000))).result).toBe('expired');
    expect((await s.listPending()).map((r) => r.id)).toEqual([fresh.id]);
  });

  it('records where the approval message lives', async () => {
    const s = await store();
    const r = request();
    await s.createRequest(r);
    await s.setRequestMessage(r.id, { channel: 'C1', ts: '1.2' });
    expect((await s.getRequest(r.id))?.message).toEqual({ channel: 'C1', ts: '1.2' });
  });

  it('hands an MFA enrollment to exactly one taker', async () => {
    const s = await store();
    const e = {
      id: 'm1',
      owner: 'UA',
      startedBy: 'UA',
      account: '1',
      username: 'alice',
      serialNumber: 'arn:aws:iam::1:mfa/alice',
      startedAt: T0.toISOString(),
    };
    await s.putMfa(e);
    expect(await s.listMfaStartedBefore(later(1))).toEqual([e]);
    expect(await s.listMfaStartedBefore(T0)).toEqual([]);
    const takes = await Promise.all([s.takeMfa('m1'), s.takeMfa('m1')]);
    expect(takes.filter(Boolean)).toEqual([e]);
    expect(await s.getMfa('m1')).toBeUndefined();
  });

  it('leases a lock to one holder and releases only with its token', async () => {
    const s = await store();
    const t = await s.acquireLock('job', 10_000);
    expect(t).toBeTruthy();
    expect(await s.acquireLock('job', 10_000)).toBeUndefined();
    expect(await s.releaseLock('job', 'not-mine')).toBe(false);
    expect(await s.releaseLock('job', t as string)).toBe(true);
    expect(await s.acquireLock('job', 10_000)).toBeTruthy();
  });

  it('serialises 50 concurrent approvals into exactly one winner', async () => {
    const s = await store();
    const r = request();
    await s.createRequest(r);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => s.approve(r.id, `U${i}`, later(1))),
    );
    expect(results.filter((x) => x.result === 'approved')).toHaveLength(1);
    expect(results.filter((x) => x.result === 'closed')).toHaveLength(49);
  });

  it('keeps finding refs for a digest button, by id', async () => {
    const s = await store();
    const a = { id: 'f1', account: '1', accountName: 'prod', username: 'alice', type: 'stale-key' };
    const b = { ...a, id: 'f2', username: 'bob', keyCreatedAt: T0.toISOString(), jiraKey: 'SEC-1' };
    await s.putFindingRefs([a, b], 60_000);
    await s.putFindingRefs([], 60_000);
    expect(await s.getFindingRef('f1')).toEqual(a);
    expect(await s.getFindingRef('f2')).toEqual(b);
    expect(await s.getFindingRef('f3')).toBeUndefined();
  });

  it('hands each due temporary user to one taker, and none early', async () => {
    const s = await store();
    const user = (id: string, endsAt: Date) => ({
      id,
      account: '1',
      username: `tmp-${id}`,
      requester: 'UREQ',
      endsAt: endsAt.toISOString(),
    });
    const soon = user('t1', later(1_000));
    const due = user('t2', later(2_000));
    const notYet = user('t3', later(10_000));
    for (const u of [notYet, due, soon]) await s.putTemporaryUser(u);
    expect(await s.takeDueTemporaryUsers(later(999))).toEqual([]);
    const takes = await Promise.all([
      s.takeDueTemporaryUsers(later(2_000)),
      s.takeDueTemporaryUsers(later(2_000)),
    ]);
    expect(takes.flat().sort((x, y) => x.id.localeCompare(y.id))).toEqual([soon, due]);
    expect(await s.takeDueTemporaryUsers(later(10_000))).toEqual([notYet]);
  });

  it('lists requests stuck in approving since before a cutoff', async () => {
    const s = await store();
    const early = request();
    const recent = request();
    const waiting = request();
    for (const r of [early, recent, waiting]) await s.createRequest(r);
    await s.approve(early.id, 'UA', later(1_000));
    await s.approve(recent.id, 'UA', later(5_000));
    expect((await s.listApprovingSince(later(5_000))).map((r) => r.id)).toEqual([early.id]);
    await s.finish(early.id, 'done', 'created', later(6_000));
    expect(await s.listApprovingSince(later(5_000))).toEqual([]);
    expect((await s.listApprovingSince(later(5_001))).map((r) => r.id)).toEqual([recent.id]);
  });

  it('a renewed lease keeps an approving request out of recovery; a finished one is never brought back', async () => {
    const s = await store();
    const live = request();
    const dead = request();
    for (const r of [live, dead]) await s.createRequest(r);
    await s.approve(live.id, 'UA', later(1_000));
    await s.approve(dead.id, 'UA', later(1_000));
    await s.renewApproving(live.id, later(60_000));
    expect((await s.listApprovingSince(later(30_000))).map((r) => r.id)).toEqual([dead.id]);
    expect((await s.listApprovingSince(later(60_001))).map((r) => r.id).sort()).toEqual(
      [live.id, dead.id].sort(),
    );
    await s.finish(live.id, 'done', 'created', later(61_000));
    await s.renewApproving(live.id, later(62_000));
    await s.renewApproving(request().id, later(62_000));
    expect((await s.listApprovingSince(later(999_999))).map((r) => r.id)).toEqual([dead.id]);
    expect((await s.getRequest(live.id))?.status).toBe('done');
  });

  it('answers a ping', async () => {
    const s = await store();
    await expect(s.ping()).resolves.toBeUndefined();
  });

  it('keeps the audit trail newest first, filterable by target', async () => {
    const s = await store();
    const ev = (n: number, target: string) => ({
      id: `e${n}`,
      ts: later(n).toISOString(),
      actor: 'UA',
      action: 'user.create',
      account: '1',
      target,
      outcome: 'success' as const,
      requestId: 'r',
    });
    for (let i = 0; i < 5; i++) await s.audit.append(ev(i, i % 2 ? 'bob' : 'alice'));
    expect((await s.audit.recent({ limit: 2 })).map((e) => e.id)).toEqual(['e4', 'e3']);
    expect((await s.audit.recent({ target: 'bob', limit: 10 })).map((e) => e.id)).toEqual(['e3', 'e1']);
  });

  it('reads the audit trail oldest first by time range, page by page, and prunes only what is older', async () => {
    const s = await store();
    const ev = (n: number) => ({
      id: `e${n}`,
      ts: later(n * 1000).toISOString(),
      actor: 'UA',
      action: 'user.create',
      account: '1',
      target: 'alice',
      outcome: 'success' as const,
      requestId: 'r',
    });
    for (let i = 0; i < 7; i++) await s.audit.append(ev(i));
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.audit.scan({ since: later(1000), until: later(6000), limit: 2, cursor });
      ids.push(...page.events.map((e) => e.id));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(ids).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(await s.audit.prune(later(3000))).toBe(3);
    const left = await s.audit.scan({ since: T0, limit: 100 });
    expect(left.events.map((e) => e.id)).toEqual(['e3', 'e4', 'e5', 'e6']);
    expect(left.cursor).toBeUndefined();
  });
});

describe.each([
  ['memory', (clock: Clock) => new MemoryStore({ clock }) as Store],
  ['sqlite', (clock: Clock) => sqliteStore({ clock }) as Store],
])('%s store on an injected clock', (_name, make) => {
  function store(clock: Clock): Store {
    const s = make(clock);
    stores.push(s);
    return s;
  }

  it('lets a lock lapse when the clock passes its TTL, and not before', async () => {
    const clock = fixedClock(T0);
    const s = store(clock);
    const held = await s.acquireLock('job', 10_000);
    expect(held).toBeTruthy();
    clock.advance(9_999);
    expect(await s.acquireLock('job', 10_000)).toBeUndefined();
    clock.advance(1);
    const next = await s.acquireLock('job', 10_000);
    expect(next).toBeTruthy();
    expect(await s.releaseLock('job', held as string)).toBe(false);
    expect(await s.releaseLock('job', next as string)).toBe(true);
  });

  it('forgets a finding ref when the clock passes its TTL, and not before', async () => {
    const clock = fixedClock(T0);
    const s = store(clock);
    const ref = { id: 'f1', account: '1', accountName: 'prod', username: 'alice', type: 'stale-key' };
    await s.putFindingRefs([ref], 60_000);
    clock.advance(59_999);
    expect(await s.getFindingRef('f1')).toEqual(ref);
    clock.advance(1);
    expect(await s.getFindingRef('f1')).toBeUndefined();
  });

  it('forgets a firstSeen mark when the clock passes its TTL, and not before', async () => {
    const clock = fixedClock(T0);
    const s = store(clock);
    expect(await s.firstSeen('sig:a', 600_000)).toBe(true);
    clock.advance(599_999);
    expect(await s.seen('sig:a')).toBe(true);
    expect(await s.firstSeen('sig:a', 600_000)).toBe(false);
    clock.advance(1);
    expect(await s.seen('sig:a')).toBe(false);
    expect(await s.firstSeen('sig:a', 600_000)).toBe(true);
  });

  it("runs the grant store's allowance window on the same clock", async () => {
    const clock = fixedClock(T0);
    const s = store(clock);
    expect(await s.grants.takeAllowance('bg:U1', 1, 60)).toBe(true);
    expect(await s.grants.takeAllowance('bg:U1', 1, 60)).toBe(false);
    clock.advance(60_000);
    expect(await s.grants.takeAllowance('bg:U1', 1, 60)).toBe(true);
  });
});

describe('redis store', () => {
  it('sends a script body once, then runs the script by its SHA', async () => {
    const s = await redisStore();
    stores.push(s);
    const r = request({ approvalsNeeded: 3 });
    await s.createRequest(r);
    const seen = await monitorCommands(s.prefix, async () => {
      for (const u of ['UA', 'UA', 'UB', 'UC']) await s.approve(r.id, u, later(1));
    });
    const sha = createHash('sha1')
      .update(readFileSync(new URL('../../src/store/lua/approve-3.lua', import.meta.url), 'utf8'))
      .digest('hex');
    const scripts = seen.filter(([cmd]) => cmd === 'eval' || cmd === 'evalsha');
    // ioredis loads the script with the first EVAL on a connection; redis.eval(body) would send it every time.
    expect(scripts.map(([cmd]) => cmd)).toEqual(['eval', 'evalsha', 'evalsha', 'evalsha']);
    expect(scripts.slice(1).map(([, first]) => first)).toEqual([sha, sha, sha]);
    expect(await s.redis.script('EXISTS', sha)).toEqual([1]);
    expect((await s.getRequest(r.id))?.status).toBe('approving');
  });

  it('sets a TTL on request records', async () => {
    const s = await redisStore(`t:ttl:${Math.random().toString(36).slice(2)}:`);
    stores.push(s);
    const r = request({ expiresAt: new Date(Date.now() + 72 * 3_600_000).toISOString() });
    await s.createRequest(r);
    const keys = await s.redis.keys('t:ttl:*req*');
    const ttl = await s.redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(72 * 3_600_000);
  });

  it('keeps a firstSeen mark under the prefix with its TTL, so Redis itself forgets it', async () => {
    const s = await redisStore();
    stores.push(s);
    expect(await s.firstSeen('sig:v0=abc', 600_000)).toBe(true);
    const keys = await s.redis.keys(`${s.prefix}*`);
    expect(keys).toEqual([`${s.prefix}seen:sig:v0=abc`]);
    const ttl = await s.redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('fails fast with StoreUnavailableError when nothing listens, and never hangs', async () => {
    const port = await freePort();
    const s = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: 'x:' });
    stores.push(s);
    const started = Date.now();
    await expect(s.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.getRequest('a')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.ping()).rejects.toThrow('approvals store unavailable, try again');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
