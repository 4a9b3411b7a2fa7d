import { describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { type Job, jobs, runJob, startJobs } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/logger.js';
import { Drain } from '../../src/slack/drain.js';
import { redisStore } from '../helpers/store.js';

function depsWith(store: Deps['store'], config: Partial<Deps['config']> = {}): Deps {
  return {
    store,
    logger: silentLogger(),
    config: { jobs: { timezone: 'UTC' }, ...config },
    drain: new Drain(),
  } as unknown as Deps;
}

describe('jobs host', () => {
  it('runs a job on exactly one of two replicas sharing Redis, then frees the lock', async () => {
    const prefix = `t:jobs:${Math.random().toString(36).slice(2)}:`;
    const [a, b] = [await redisStore(prefix), await redisStore(prefix)];
    let runs = 0;
    const job: Job = {
      name: 'slow',
      schedule: () => '* * * * *',
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 100));
      },
    };
    const outcomes = await Promise.all([runJob(job, depsWith(a)), runJob(job, depsWith(b))]);
    expect(outcomes.sort()).toEqual(['locked', 'ran']);
    expect(runs).toBe(1);
    expect(await runJob(job, depsWith(b))).toBe('ran');
    await a.close();
    await b.close();
  });

  it('logs and swallows a failing run so the schedule keeps going', async () => {
    const s = await redisStore();
    const job: Job = {
      name: 'boom',
      schedule: () => '* * * * *',
      run: async () => {
        throw new Error('nope');
      },
    };
    expect(await runJob(job, depsWith(s))).toBe('failed');
    expect(await runJob(job, depsWith(s))).toBe('failed');
    await s.close();
  });

  it('schedules every registered job from config with a valid cron expression, and stops them', async () => {
    const s = await redisStore();
    // The real defaults, so a job added without a default schedule fails here.
    const config = {
      ...parseFileConfig({ templates: {} }, 'test'),
      source: 'test',
    } as unknown as Deps['config'];
    const handle = startJobs(jobs, depsWith(s, config));
    expect(handle.tasks.map((t) => t.name)).toEqual(jobs.map((j) => j.name));
    expect(jobs.map((j) => j.name)).toEqual(
      expect.arrayContaining([
        'approval-expiry',
        'key-rotation-sweep',
        'offboard-sweep',
        'mfa-cleanup',
        'grant-revoke',
        'inactive-digest',
        'temporary-access',
      ]),
    );
    await handle.stop();
    expect(() =>
      startJobs([{ name: 'bad', schedule: () => 'every tuesday', run: async () => {} }], depsWith(s, config)),
    ).toThrow(/not a valid cron expression for bad/);
    await s.close();
  });
});
