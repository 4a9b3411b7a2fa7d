import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { type Grant, grantId } from '../../src/core/grants.js';
import { ConflictError } from '../../src/errors.js';
import type { GrantStore } from '../../src/store/grant-store.js';
import { MemoryGrantStore } from '../../src/store/grant-store-memory.js';
import { RedisGrantStore } from '../../src/store/grant-store-redis.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { monitorCommands, sqliteStore, tempDataDir } from '../helpers/store.js';

const connections: Redis[] = [];
function redis(): Redis {
  const r = new Redis(inject('redisUrl'), { lazyConnect: false, maxRetriesPerRequest: 1 });
  connections.push(r);
  return r;
}
const files: SqliteStore[] = [];
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});
afterEach(async () => {
  await Promise.all(files.splice(0).map((s) => s.close()));
});

const T0 = Date.parse('2026-01-01T00:00:00Z');

function grant(over: Partial<Grant> = {}): Grant {
  const spec = {
    account: '111111111111',
    username: 'jane',
    kind: 'group' as const,
    target: 'ProdDebug',
    ...over,
  };
  return {
    id: grantId(spec),
    requester: 'U1',
    ownerSlackId: 'U1',
    reason: 'incident 42',
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 60 * 60_000).toISOString(),
    breakGlass: false,
    approvers: ['U2'],
    status: 'active',
    ...spec,
    ...over,
  };
}

/** Two handles on one store, as two replicas would have. */
type Pair = [GrantStore, GrantStore];
const makers: [string, () => Pair][] = [
  [
    'redis',
    () => {
      const prefix = `test:${randomUUID()}:`;
      return [new RedisGrantStore(redis(), prefix), new RedisGrantStore(redis(), prefix)];
    },
  ],
  [
    'sqlite',
    () => {
      // Two connections on one file: the claims must serialise through SQLite's write lock, not JS.
      const path = join(tempDataDir(), 'aws-user.db');
      const clock = fixedClock(new Date(T0));
      const a = sqliteStore({ path, clock });
      const b = sqliteStore({ path, clock });
      files.push(a, b);
      return [a.grants, b.grants];
    },
  ],
  [
    'memory',
    () => {
      const s = new MemoryGrantStore(fixedClock(new Date(T0)));
      return [s, s];
    },
  ],
];

describe.each(makers)('GrantStore (%s)', (_name, make) => {
  it('merges an overlapping grant: one record, the later expiry, approvers united', async () => {
    const [s] = make();
    await s.upsert(grant());
    const merged = await s.upsert(
      grant({ expiresAt: new Date(T0 + 30 * 60_000).toISOString(), approvers: ['U3'] }),
    );
    expect(merged.expiresAt).toBe(new Date(T0 + 60 * 60_000).toISOString());
    expect(merged.approvers.sort()).toEqual(['U2', 'U3']);
    const later = await s.upsert(
      grant({ expiresAt: new Date(T0 + 120 * 60_000).toISOString(), approvers: [] }),
    );
    expect(later.expiresAt).toBe(new Date(T0 + 120 * 60_000).toISOString());
    expect(await s.listActive()).toHaveLength(1);
  });

  it('hands each due grant to exactly one of many concurrent claimers, and none early', async () => {
    const [a, b] = make();
    for (let i = 0; i < 10; i++) await a.upsert(grant({ username: `u${i}` }));
    expect(await a.claimDue(new Date(T0 + 59 * 60_000), 100)).toEqual([]);
    const now = new Date(T0 + 61 * 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claimDue(now, 3)));
    const claimed = results.flat().map((g) => g.username);
    // Each claimer takes up to 3; 20 claimers easily cover 10 grants, and nobody gets a duplicate.
    expect(claimed.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`).sort());
    expect(results.flat().every((g) => g.status === 'revoking')).toBe(true);
    expect(await a.listActive()).toEqual([]);
  });

  it("claims one grant for an immediate revoke exactly once (I'm done, clicked twice on two replicas)", async () => {
    const [a, b] = make();
    const g = await a.upsert(grant());
    const [x, y] = await Promise.all([a.claimNow(g.id), b.claimNow(g.id)]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
    expect(await a.claimDue(new Date(T0 + 10 * 3600_000), 10)).toEqual([]);
  });

  it('refuses to merge into a grant that is being revoked', async () => {
    const [s] = make();
    const g = await s.upsert(grant());
    await s.claimNow(g.id);
    await expect(s.upsert(grant())).rejects.toBeInstanceOf(ConflictError);
  });

  it('gives the 15-minute notice once, and a completed grant stays readable but inactive', async () => {
    const [a, b] = make();
    const g = await a.upsert(grant());
    expect(await a.claimNotices(new Date(T0 + 44 * 60_000), 10)).toEqual([]);
    const [n1, n2] = await Promise.all([
      a.claimNotices(new Date(T0 + 45 * 60_000), 10),
      b.claimNotices(new Date(T0 + 45 * 60_000), 10),
    ]);
    expect([...n1, ...n2].map((x) => x.id)).toEqual([g.id]);
    const [claimed] = await a.claimDue(new Date(T0 + 61 * 60_000), 10);
    if (!claimed) throw new Error('expected a claim');
    await a.complete(claimed, 'job', new Date(T0 + 61 * 60_000));
    expect((await a.get(g.id))?.status).toBe('revoked');
    expect(await a.listActive()).toEqual([]);
  });

  it('puts a grant whose revoke failed back, due again at the retry time', async () => {
    const [s] = make();
    await s.upsert(grant());
    const [g] = await s.claimDue(new Date(T0 + 61 * 60_000), 10);
    if (!g) throw new Error('expected a claim');
    await s.release(g, new Date(T0 + 62 * 60_000));
    expect(await s.claimDue(new Date(T0 + 61 * 60_000 + 1), 10)).toEqual([]);
    expect((await s.claimDue(new Date(T0 + 62 * 60_000), 10)).map((x) => x.id)).toEqual([g.id]);
  });

  it('filters active grants by user and owner', async () => {
    const [s] = make();
    await s.upsert(grant({ username: 'a', ownerSlackId: 'UA' }));
    await s.upsert(grant({ username: 'b', ownerSlackId: 'UB' }));
    expect((await s.listActive({ ownerSlackId: 'UB' })).map((g) => g.username)).toEqual(['b']);
    expect((await s.listActive({ username: 'a' })).map((g) => g.username)).toEqual(['a']);
  });

  it('records where the bot posted about a grant: kept across a merge and a claim, capped, newest kept', async () => {
    const [a, b] = make();
    const g = await a.upsert(grant());
    await Promise.all([
      a.recordMessages(g.id, [{ channel: 'DRITA', ts: '1.1' }]),
      b.recordMessages(g.id, [
        { channel: 'C0APPROVALS', ts: '2.2' },
        { channel: 'DADMIN', ts: '3.3' },
      ]),
    ]);
    const key = (m: { channel: string; ts: string }) => `${m.channel}/${m.ts}`;
    expect((await a.get(g.id))?.messages?.map(key).sort()).toEqual([
      'C0APPROVALS/2.2',
      'DADMIN/3.3',
      'DRITA/1.1',
    ]);
    // An extension merges into the record: the messages stay, and so does the rest of the record.
    const merged = await b.upsert(grant({ expiresAt: new Date(T0 + 120 * 60_000).toISOString() }));
    expect(merged.messages).toHaveLength(3);
    expect(merged.approvers).toEqual(['U2']);
    const claimed = await a.claimNow(g.id);
    expect(claimed?.messages).toHaveLength(3);
    expect(claimed?.status).toBe('revoking');
    // Recording never undoes a status change.
    await b.recordMessages(g.id, [{ channel: 'DRITA', ts: '4.4' }]);
    expect((await a.get(g.id))?.status).toBe('revoking');
    for (let i = 0; i < 60; i++) await a.recordMessages(g.id, [{ channel: 'D', ts: `9.${i}` }]);
    const kept = (await a.get(g.id))?.messages ?? [];
    expect(kept).toHaveLength(50);
    expect(kept.at(-1)).toEqual({ channel: 'D', ts: '9.59' });
    await a.recordMessages('no-such-grant', [{ channel: 'D', ts: '1.1' }]);
    expect(await a.get('no-such-grant')).toBeUndefined();
  });

  it('takes a fixed-window allowance up to its limit, atomically', async () => {
    const [a, b] = make();
    const key = `bg:U1:${randomUUID()}`;
    const taken = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).takeAllowance(key, 2, 86_400)),
    );
    expect(taken.filter(Boolean)).toHaveLength(2);
  });
});

describe('RedisGrantStore', () => {
  it('sends a script body once, then runs the script by its SHA', async () => {
    const prefix = `test:${randomUUID()}:`;
    const s = new RedisGrantStore(redis(), prefix);
    const seen = await monitorCommands(prefix, async () => {
      for (let i = 0; i < 3; i++) await s.takeAllowance('bg:U1', 5, 60);
    });
    const sha = createHash('sha1')
      .update(readFileSync(new URL('../../src/store/lua/rate-limit-take-1.lua', import.meta.url), 'utf8'))
      .digest('hex');
    const scripts = seen.filter(([cmd]) => cmd === 'eval' || cmd === 'evalsha');
    expect(scripts.map(([cmd]) => cmd)).toEqual(['eval', 'evalsha', 'evalsha']);
    expect(scripts.slice(1).map(([, first]) => first)).toEqual([sha, sha]);
  });
});
