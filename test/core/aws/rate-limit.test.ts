import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/core/aws/rate-limit.js';

describe('RateLimiter (per-account pacer)', () => {
  it('spaces requests evenly at the configured rate, allowing a burst after a quiet spell', async () => {
    let t = 0;
    const waits: number[] = [];
    const rl = new RateLimiter(
      20,
      1,
      () => t,
      async (ms) => {
        waits.push(ms);
        t += ms;
      },
    );
    for (let i = 0; i < 5; i++) await rl.take();
    expect(waits).toEqual([50, 50, 50, 50]);
    t += 10_000;
    waits.length = 0;
    const bursty = new RateLimiter(
      10,
      3,
      () => t,
      async (ms) => {
        waits.push(ms);
        t += ms;
      },
    );
    for (let i = 0; i < 4; i++) await bursty.take();
    expect(waits).toEqual([100]); // 3 go at once, the 4th waits one interval
  });

  it('serves concurrent callers in order without exceeding the rate', async () => {
    const rl = new RateLimiter(100);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 11 }, () => rl.take()));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });
});
