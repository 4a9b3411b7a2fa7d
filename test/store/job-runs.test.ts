import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { redisStore, sqliteStore } from '../helpers/store.js';

const S0 = new Date('2026-12-01T09:00:00Z');
const tickAt = (n: number) => new Date(S0.getTime() + n * 60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (replica: string, nextDue?: Date) => ({
  replica,
  outcome: 'ok' as const,
  now: new Date(),
  durationMs: 40,
  nextDue,
});

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/**
 * The job-run contract (src/store/job-runs.ts) over every store: a tick is claimed at most once, claims are
 * never released (only superseded), and the lease only says a run is in progress.
 */
describe.each([
  ['memory', async () => [new MemoryStore() as Store]],
  ['sqlite', async () => [sqliteStore() as Store]],
  [
    'redis',
    async () => {
      // Two connections on one prefix: two replicas.
      const prefix = `t:jobs:${Math.random().toString(36).slice(2)}:`;
      return [(await redisStore(prefix)) as Store, (await redisStore(prefix)) as Store];
    },
  ],
])('%s job runs', (_name, make) => {
  /** Replica a's and replica b's view of the same store (one object where the store is single-instance). */
  async function replicas(): Promise<[Store, Store]> {
    const made = await make();
    stores.push(...made);
    return [made[0] as Store, (made[1] ?? made[0]) as Store];
  }

  it('gives a tick to one claimant; a late replica finds it running, then done, never free again', async () => {
    const [a, b] = await replicas();
    const first = await a.jobs.claim('digest', tickAt(0), { replica: 'a', leaseMs: 60_000 });
    expect(first).toEqual({ claimed: true, token: expect.any(String) });
    expect(await b.jobs.claim('digest', tickAt(0), { replica: 'b', leaseMs: 60_000 })).toEqual({
      claimed: false,
      reason: 'running',
      by: 'a',
    });
    expect((await b.jobs.list()).find((j) => j.job === 'digest')?.runningBy).toBe('a');
    await a.jobs.complete('digest', tickAt(0), (first as { token: string }).token, ok('a', tickAt(1)));
    // The replica whose clock is a second behind fires now, after the run finished: nothing to do.
    expect(await b.jobs.claim('digest', tickAt(0), { replica: 'b', leaseMs: 60_000 })).toEqual({
      claimed: false,
      reason: 'done',
      by: 'a',
    });
    // An even older tick is done too; the next tick is free, to whoever comes first.
    expect((await b.jobs.claim('digest', tickAt(-1), { replica: 'b', leaseMs: 60_000 })).claimed).toBe(false);
    expect((await b.jobs.claim('digest', tickAt(1), { replica: 'b', leaseMs: 60_000 })).claimed).toBe(true);
    const [state] = await a.jobs.list();
    expect(state).toMatchObject({
      job: 'digest',
      claimedTick: tickAt(1).toISOString(),
      claimedBy: 'b',
      completedTick: tickAt(0).toISOString(),
      completedBy: 'a',
      outcome: 'ok',
      durationMs: 40,
      nextDue: tickAt(1).toISOString(),
      runningBy: 'b',
    });
  });

  it('hands one tick to exactly one of 20 racing claims', async () => {
    const [a, b] = await replicas();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).jobs.claim('sweep', tickAt(0), { replica: `r${i}`, leaseMs: 60_000 }),
      ),
    );
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect(new Set(results.filter((r) => !r.claimed).map((r) => (r.claimed ? '' : r.reason)))).toEqual(
      new Set(['running']),
    );
  });

  it('refuses an older tick once a later one was claimed (a clock far behind)', async () => {
    const [a, b] = await replicas();
    const later = await a.jobs.claim('sweep', tickAt(5), { replica: 'a', leaseMs: 60_000 });
    expect(later.claimed).toBe(true);
    expect(await b.jobs.claim('sweep', tickAt(4), { replica: 'b', leaseMs: 60_000 })).toEqual({
      claimed: false,
      reason: 'superseded',
      by: 'a',
    });
  });

  it("keeps a dead replica's tick claimed after its lease lapses; only a catch-up retakes it", async () => {
    const [a, b] = await replicas();
    expect((await a.jobs.claim('digest', tickAt(0), { replica: 'a', leaseMs: 40 })).claimed).toBe(true);
    await sleep(120);
    expect(await b.jobs.claim('digest', tickAt(0), { replica: 'b', leaseMs: 60_000 })).toEqual({
      claimed: false,
      reason: 'claimed',
      by: 'a',
    });
    const retaken = await b.jobs.claim('digest', tickAt(0), { replica: 'b', leaseMs: 60_000, retake: true });
    expect(retaken.claimed).toBe(true);
    // While the catch-up runs, another catch-up (a third replica starting) finds it running.
    expect(await a.jobs.claim('digest', tickAt(0), { replica: 'c', leaseMs: 60_000, retake: true })).toEqual({
      claimed: false,
      reason: 'running',
      by: 'b',
    });
  });

  it('renews only its own live lease, and a completion never moves a tick or nextDue back', async () => {
    const [a] = await replicas();
    const claim = await a.jobs.claim('sweep', tickAt(2), { replica: 'a', leaseMs: 60_000 });
    const token = (claim as { token: string }).token;
    expect(await a.jobs.renew('sweep', token, 60_000)).toBe(true);
    expect(await a.jobs.renew('sweep', 'not-mine', 60_000)).toBe(false);
    await a.jobs.complete('sweep', tickAt(2), token, ok('a', tickAt(3)));
    expect(await a.jobs.renew('sweep', token, 60_000)).toBe(false);
    // A slow run of an older tick completing late changes nothing.
    await a.jobs.complete('sweep', tickAt(1), 'old-token', { ...ok('b', tickAt(2)), outcome: 'failed' });
    expect((await a.jobs.list())[0]).toMatchObject({
      completedTick: tickAt(2).toISOString(),
      completedBy: 'a',
      outcome: 'ok',
      nextDue: tickAt(3).toISOString(),
    });
    expect((await a.jobs.list())[0]?.runningBy).toBeUndefined();
  });

  it('registers a schedule once; a changed schedule restarts missed-tick detection', async () => {
    const [a, b] = await replicas();
    const first = await a.jobs.register('digest', '0 9 1 * *', tickAt(10));
    expect(first).toEqual({
      reset: true,
      state: expect.objectContaining({
        job: 'digest',
        schedule: '0 9 1 * *',
        nextDue: tickAt(10).toISOString(),
      }),
    });
    // The second replica starting keeps what the first recorded.
    const again = await b.jobs.register('digest', '0 9 1 * *', tickAt(20));
    expect(again.reset).toBe(false);
    expect(again.state.nextDue).toBe(tickAt(10).toISOString());
    const changed = await b.jobs.register('digest', '0 9 * * 1', tickAt(30));
    expect(changed.reset).toBe(true);
    expect(changed.state).toMatchObject({ schedule: '0 9 * * 1', nextDue: tickAt(30).toISOString() });
    expect((await a.jobs.list()).map((j) => j.job)).toEqual(['digest']);
  });
});
