import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { parseFileConfig } from '../../src/config.js';
import { systemClock } from '../../src/core/clock.js';
import type { Deps } from '../../src/deps.js';
import { grantRevoke } from '../../src/jobs/grant-revoke.js';
import { JOB_LEASE_MS, leaseOf } from '../../src/jobs/host.js';
import { type Job, jobs, runJob, startJobs } from '../../src/jobs/index.js';
import { createLogger } from '../../src/logger.js';
import { Drain } from '../../src/slack/drain.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { redisStore, sqliteStore } from '../helpers/store.js';

/** A replica's deps: its own id, its own log lines, the shared store. */
function replica(store: Store, id: string, config: Partial<Deps['config']> = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const deps = {
    store,
    logger: createLogger('debug', sink).child({ replica: id }),
    clock: systemClock,
    config: { jobs: { timezone: 'UTC' }, ...config, env: { replicaId: id } },
    drain: new Drain(),
  } as unknown as Deps;
  return { deps, lines };
}

const prefix = () => `t:jobs:${Math.random().toString(36).slice(2)}:`;
const TICK = new Date('2026-12-01T09:00:00Z');

function counting(name: string, over: Partial<Job> = {}) {
  const ran: string[] = [];
  const job: Job = {
    name,
    schedule: () => '0 9 1 * *',
    run: async (deps) => {
      ran.push(deps.config.env.replicaId);
      await new Promise((r) => setTimeout(r, 40));
    },
    ...over,
  };
  return { job, ran };
}

describe('jobs host: one run per scheduled tick', () => {
  it('runs a tick once when two replicas fire for it at once, and again never, however late the other fires', async () => {
    const p = prefix();
    const [a, b] = [replica(await redisStore(p), 'a'), replica(await redisStore(p), 'b')];
    const { job, ran } = counting('digest');
    const outcomes = await Promise.all([
      runJob(job, a.deps, { tick: TICK }),
      runJob(job, b.deps, { tick: TICK }),
    ]);
    expect(outcomes.sort()).toEqual(['ran', 'skipped']);
    // The case: the run took 40 ms, and the replica whose clock is a second behind fires after it.
    // The old host released its lease when the run finished, so that replica ran the tick a second time.
    expect(await runJob(job, b.deps, { tick: TICK })).toBe('skipped');
    expect(await runJob(job, a.deps, { tick: TICK })).toBe('skipped');
    expect(ran).toHaveLength(1);
    const next = new Date(TICK.getTime() + 60_000);
    expect(await runJob(job, b.deps, { tick: next })).toBe('ran');
    expect(ran).toHaveLength(2);

    // Each side says what it did, with the tick and the replica on the line.
    const winner = ran[0] === 'a' ? a : b;
    expect(winner.lines).toContainEqual(
      expect.objectContaining({
        job: 'digest',
        tick: TICK.toISOString(),
        replica: ran[0],
        msg: 'job finished',
      }),
    );
    expect(b.lines).toContainEqual(
      expect.objectContaining({
        job: 'digest',
        tick: TICK.toISOString(),
        replica: 'b',
        reason: 'done',
        msg: 'job skipped: this tick already ran',
      }),
    );
    await a.deps.store.close();
    await b.deps.store.close();
  });

  it('records a failed run as that tick done (logged, not retried by a late replica), and keeps the schedule going', async () => {
    const p = prefix();
    const [a, b] = [replica(await redisStore(p), 'a'), replica(await redisStore(p), 'b')];
    let runs = 0;
    const job: Job = {
      name: 'boom',
      schedule: () => '* * * * *',
      run: async () => {
        runs++;
        throw new Error('nope');
      },
    };
    expect(await runJob(job, a.deps, { tick: TICK })).toBe('failed');
    expect(await runJob(job, b.deps, { tick: TICK })).toBe('skipped');
    expect(await runJob(job, b.deps, { tick: new Date(TICK.getTime() + 60_000) })).toBe('failed');
    expect(runs).toBe(2);
    expect(a.lines).toContainEqual(expect.objectContaining({ msg: 'job failed', err: 'nope', level: 50 }));
    const [state] = await a.deps.store.jobs.list();
    expect(state).toMatchObject({ job: 'boom', outcome: 'failed', completedBy: 'b' });
    await a.deps.store.close();
    await b.deps.store.close();
  });

  it('says so, and runs nothing, when the store is down', async () => {
    const s = await redisStore();
    await s.close();
    const a = replica(s, 'a');
    const { job, ran } = counting('digest');
    expect(await runJob(job, a.deps, { tick: TICK })).toBe('failed');
    expect(ran).toEqual([]);
    expect(a.lines).toContainEqual(expect.objectContaining({ msg: 'job skipped: the store is unavailable' }));
  });
});

describe('jobs host: a late tick', () => {
  it('still runs a tick that fires seconds late (a stalled event loop), tick named by its slot', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      vi.setSystemTime(new Date('2026-12-01T09:00:58Z'));
      const a = replica(new MemoryStore(), 'a');
      const ran: string[] = [];
      const job: Job = {
        name: 'minutely',
        schedule: () => '0 * * * * *',
        run: async () => {
          ran.push(new Date().toISOString());
        },
      };
      const h = startJobs([job], a.deps);
      // The process is stuck across the slot: the clock moves on 5.5 s, no timer fires; the heartbeat set
      // for 09:01:00 then fires at 09:01:05.5.
      vi.setSystemTime(new Date('2026-12-01T09:01:03.500Z'));
      await vi.advanceTimersByTimeAsync(2_000);
      await vi.waitFor(() => expect(ran).toHaveLength(1));
      expect(a.lines).toContainEqual(
        expect.objectContaining({ msg: 'job finished', tick: '2026-12-01T09:01:00.000Z' }),
      );
      await h.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('jobs host: missed ticks at start', () => {
  const config = (over: Record<string, unknown> = {}) =>
    ({ ...parseFileConfig({ templates: {}, ...over }, 'test'), source: 'test' }) as unknown as Deps['config'];

  /** A store that last saw the job's schedule with its next tick `nextDue` (a deploy ago). */
  async function seen(store: Store, job: Job, nextDue: Date, completed?: Date) {
    await store.jobs.register(job.name, job.schedule({} as Deps['config']), nextDue);
    if (completed) {
      const c = await store.jobs.claim(job.name, completed, { replica: 'old', leaseMs: 60_000 });
      if (c.claimed)
        await store.jobs.complete(job.name, completed, c.token, {
          replica: 'old',
          outcome: 'ok',
          now: completed,
          durationMs: 1,
          nextDue,
        });
    }
  }

  it('runs a catch-up job once for a tick no replica was up for, even when both replicas start together', async () => {
    const p = prefix();
    const [a, b] = [replica(await redisStore(p), 'a', config()), replica(await redisStore(p), 'b', config())];
    const { job, ran } = counting('digest', { catchUp: true });
    const missed = new Date('2026-11-01T09:00:00Z');
    await seen(a.deps.store, job, missed, new Date('2026-10-01T09:00:00Z'));
    const [ha, hb] = [startJobs([job], a.deps), startJobs([job], b.deps)];
    await Promise.all([ha.ready, hb.ready]);
    expect(ran).toHaveLength(1);
    const [state] = await a.deps.store.jobs.list();
    expect(state).toMatchObject({ completedTick: missed.toISOString(), outcome: 'ok' });
    // The next due tick is the schedule's next one, in the future: a third start catches up nothing.
    expect(Date.parse(state?.nextDue ?? '')).toBeGreaterThan(Date.now());
    const runner = ran[0] === 'a' ? a : b;
    expect(runner.lines).toContainEqual(
      expect.objectContaining({ msg: 'job missed a tick while no replica was up; running it once now' }),
    );
    expect(runner.lines).toContainEqual(
      expect.objectContaining({ msg: 'job finished', tick: missed.toISOString(), catchUp: true }),
    );
    const hc = startJobs([job], replica(a.deps.store, 'c', config()).deps);
    await hc.ready;
    expect(ran).toHaveLength(1);
    await Promise.all([ha.stop(), hb.stop(), hc.stop()]);
    await a.deps.store.close();
    await b.deps.store.close();
  });

  it('retakes a tick whose replica died mid-run, once its lease lapsed (embedded store, after a restart)', async () => {
    const s = sqliteStore();
    const { job, ran } = counting('digest', { catchUp: true });
    const missed = new Date('2026-11-01T09:00:00Z');
    await s.jobs.register(job.name, '0 9 1 * *', missed);
    expect((await s.jobs.claim(job.name, missed, { replica: 'dead', leaseMs: 60_000 })).claimed).toBe(true);
    // The instance-lock holder at start drops what a dead process held.
    expect(s.dropStaleLeases()).toBe(1);
    const a = replica(s, 'a', config());
    await startJobs([job], a.deps).ready;
    expect(ran).toEqual(['a']);
    await s.close();
  });

  it('retakes a tick held by a replica killed mid-run once its lease lapsed (Redis: the restart finds it still held)', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      vi.setSystemTime(new Date('2026-12-01T09:00:30Z'));
      const s = new MemoryStore();
      const { job, ran } = counting('digest', { catchUp: true });
      const tick = new Date('2026-12-01T09:00:00Z');
      await s.jobs.register(job.name, '0 9 1 * *', tick);
      // Replica "dead" claimed the tick and was killed 30 s in; its lease runs for two minutes more.
      expect((await s.jobs.claim(job.name, tick, { replica: 'dead', leaseMs: JOB_LEASE_MS })).claimed).toBe(
        true,
      );
      const a = replica(s, 'a', config());
      const h = startJobs([job], a.deps);
      await h.ready;
      expect(ran).toEqual([]);
      expect(a.lines).toContainEqual(
        expect.objectContaining({ msg: 'job skipped: a run of this job is in progress', by: 'dead' }),
      );
      await vi.advanceTimersByTimeAsync(JOB_LEASE_MS + 5_000);
      await vi.waitFor(() => expect(ran).toEqual(['a']));
      await vi.advanceTimersByTimeAsync(100); // the run's own 40 ms
      expect(a.lines).toContainEqual(
        expect.objectContaining({ msg: 'job finished', tick: tick.toISOString(), catchUp: true }),
      );
      await h.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a grant-revoke run held by a replica killed mid-run blocks the next ticks for seconds, not minutes', async () => {
    // Before the job had its own lease, the 2-minute one let a grant outlive its expiry that much longer
    // after a crash on Redis (seen as a flake of test/app/grant-restart.test.ts under load).
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const tick = new Date('2026-12-01T09:00:00Z');
      vi.setSystemTime(tick);
      const s = new MemoryStore();
      let revoked = 0;
      const job: Job = { ...grantRevoke, run: async () => void revoked++ };
      expect((await s.jobs.claim(job.name, tick, { replica: 'dead', leaseMs: leaseOf(job) })).claimed).toBe(
        true,
      );
      const a = replica(s, 'a');
      const next = (seconds: number) => {
        vi.setSystemTime(new Date(tick.getTime() + seconds * 1000));
        return runJob(job, a.deps, { tick: new Date(tick.getTime() + seconds * 1000) });
      };
      expect(await next(1)).toBe('skipped');
      expect(await next(16)).toBe('ran');
      expect(revoked).toBe(1);
      // A long run keeps its short lease: renewed every third of it.
      const claim = vi.spyOn(s.jobs, 'claim');
      const renew = vi.spyOn(s.jobs, 'renew');
      const slow: Job = { ...job, run: () => new Promise((r) => setTimeout(r, 40_000)) };
      const running = runJob(slow, a.deps, { tick: new Date(tick.getTime() + 20_000) });
      await vi.advanceTimersByTimeAsync(41_000);
      expect(await running).toBe('ran');
      expect(claim).toHaveBeenCalledWith(
        job.name,
        expect.any(Date),
        expect.objectContaining({ leaseMs: 15_000 }),
      );
      expect(renew.mock.calls.length).toBeGreaterThanOrEqual(7);
      expect(renew.mock.calls.every((c) => c[2] === 15_000)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not catch up a frequent sweep, and says it will run at its next tick', async () => {
    const s = sqliteStore();
    const { job, ran } = counting('sweep', { schedule: () => '* * * * *' });
    await seen(s, job, new Date(Date.now() - 3_600_000));
    const a = replica(s, 'a', config());
    const h = startJobs([job], a.deps);
    await h.ready;
    expect(ran).toEqual([]);
    expect(a.lines).toContainEqual(
      expect.objectContaining({
        job: 'sweep',
        msg: 'job missed a tick while no replica was up; not caught up, it runs at its next tick',
      }),
    );
    await h.stop();
    await s.close();
  });

  it('catches up nothing on the first start, nor after the schedule changed', async () => {
    const s = sqliteStore();
    const { job, ran } = counting('digest', { catchUp: true });
    const a = replica(s, 'a', config());
    let h = startJobs([job], a.deps);
    await h.ready;
    await h.stop();
    expect(ran).toEqual([]);
    // Last seen with another schedule, a month ago: its ticks were never this schedule's.
    await s.jobs.register(job.name, '0 9 * * 1', new Date('2026-11-01T09:00:00Z'));
    h = startJobs([job], a.deps);
    await h.ready;
    await h.stop();
    expect(ran).toEqual([]);
    expect(a.lines.filter((l) => l.msg === 'job schedule registered')).toHaveLength(2);
    await s.close();
  });

  it('schedules every registered job from config with a valid cron expression, and stops them', async () => {
    const s = sqliteStore();
    // The real defaults, so a job added without a default schedule fails here.
    const a = replica(s, 'a', config());
    const handle = startJobs(jobs, a.deps);
    await handle.ready;
    // Jobs whose section is not configured (access reviews) are off, not scheduled.
    const on = jobs.filter((j) => j.schedule(a.deps.config) !== 'off');
    expect(jobs.length - on.length).toBe(2);
    expect(handle.tasks.map((t) => t.name)).toEqual(on.map((j) => j.name));
    expect(jobs.map((j) => j.name)).toEqual(
      expect.arrayContaining([
        'approval-expiry',
        'key-rotation-sweep',
        'offboard-sweep',
        'mfa-cleanup',
        'grant-revoke',
        'inactive-digest',
        'temporary-access',
        'grant-reconcile',
      ]),
    );
    // Which jobs catch up is a decision per job, stated here so a change to it is a visible one.
    expect(jobs.filter((j) => j.catchUp).map((j) => j.name)).toEqual([
      'inactive-digest',
      'audit-retention',
      'findings-retention',
      'access-review',
    ]);
    expect((await s.jobs.list()).map((j) => j.job).sort()).toEqual(on.map((j) => j.name).sort());
    await handle.stop();
    expect(() =>
      startJobs([{ name: 'bad', schedule: () => 'every tuesday', run: async () => {} }], a.deps),
    ).toThrow(/not a valid cron expression for bad/);
    await s.close();
  });
});
