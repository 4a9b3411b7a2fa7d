import type { IAMClient } from '@aws-sdk/client-iam';
import { sleep as realSleep } from '../clock.js';

/**
 * A client-side pacer for one AWS account: IAM throttles per account, and the SDK's adaptive retry only
 * slows down AFTER throttling, paying a failed round trip and a backoff each time. Spacing requests evenly
 * below the limit (GCRA: each request reserves the next slot) avoids throttles altogether; `burst` lets a
 * quiet client send a few at once. Shared by every client of the account, so concurrent bulk workers and
 * actors share one budget.
 */
export class RateLimiter {
  private nextAt = 0;
  private readonly interval: number;
  /** Total time callers waited, for benchmarks. */
  waitedMs = 0;

  constructor(
    readonly perSecond: number,
    private readonly burst = 1,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {
    if (!(perSecond > 0)) throw new Error('rate limit must be > 0 requests per second');
    this.interval = 1000 / perSecond;
  }

  async take(): Promise<void> {
    const t = this.now();
    const slot = Math.max(this.nextAt, t - (this.burst - 1) * this.interval);
    this.nextAt = slot + this.interval;
    const wait = slot - t;
    if (wait > 0) {
      this.waitedMs += wait;
      await this.sleep(wait);
    }
  }
}

/**
 * Paces every attempt (retries included) through `limiter`. It sits in the deserialize step, i.e. just
 * before the request goes on the wire, inside the retry loop.
 */
export function applyRateLimit(client: IAMClient, limiter: RateLimiter): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      await limiter.take();
      return next(args);
    },
    { step: 'deserialize', name: 'awsUserRateLimit', priority: 'low' },
  );
}
