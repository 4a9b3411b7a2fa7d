import {
  DeleteConflictException,
  EntityTemporarilyUnmodifiableException,
  NoSuchEntityException,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import { sleep as realSleep } from '../clock.js';
import type { CoreContext } from '../context.js';

/**
 * The retries IAM's eventual consistency needs, and the error predicates that decide them. Sleep comes
 * from the context so tests never wait.
 */

export function sleeperOf(ctx: CoreContext): (ms: number) => Promise<void> {
  return ctx.sleep ?? realSleep;
}

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
}

/** Retries `fn` while `retryable(err)`, with capped exponential backoff and jitter. */
export async function withRetry<T>(
  ctx: CoreContext,
  fn: () => Promise<T>,
  retryable: (err: unknown) => boolean,
  opts: RetryOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 5000;
  const pause = sleeperOf(ctx);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      const backoff = Math.min(max, base * 2 ** (attempt - 1));
      await pause(backoff / 2 + Math.random() * (backoff / 2));
    }
  }
}

/** A brand-new user, key or device may not be visible yet to the next call (IAM is eventually consistent). */
export const isNoSuchEntity = (err: unknown): boolean => err instanceof NoSuchEntityException;

export const isTransientConflict = (err: unknown): boolean =>
  err instanceof EntityTemporarilyUnmodifiableException ||
  err instanceof ServiceFailureException ||
  err instanceof DeleteConflictException;

/** IAM's Throttling error once the SDK's own retries are spent (it has no modeled exception class). */
export const isThrottle = (err: unknown): boolean => {
  const e = err as { name?: string; $retryable?: { throttling?: boolean } } | undefined;
  return e?.name === 'Throttling' || e?.name === 'ThrottlingException' || e?.$retryable?.throttling === true;
};

export const isUnmodifiable = (err: unknown): boolean =>
  err instanceof EntityTemporarilyUnmodifiableException || err instanceof ServiceFailureException;

/** Runs `fn`, treating NoSuchEntity as "already gone" (idempotent deletes). */
export async function ignoreMissing(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    if (err instanceof NoSuchEntityException) return false;
    throw err;
  }
}

/** AWS-style name for an error, without its message (which could, in theory, echo input). */
export function awsErrorName(err: unknown): string {
  return (err as { name?: string })?.name ?? 'Error';
}
