import type { IAMClient } from '@aws-sdk/client-iam';
import { StepFailedError } from '../../errors.js';
import type { AuditTrail } from '../audit.js';
import { describeCall, runCall } from '../aws/iam-calls.js';
import { isUnmodifiable, withRetry } from '../aws/retry.js';
import type { CoreContext } from '../context.js';
import type { PlannedCall } from '../templates.js';

/** Runs calls in order; on failure audits what was done and throws StepFailedError (no rollback). */
export async function runSteps(
  ctx: CoreContext,
  iam: IAMClient,
  plan: readonly PlannedCall[],
  trail: AuditTrail,
  details: Record<string, unknown>,
): Promise<string[]> {
  const done: string[] = [];
  for (const call of plan) {
    try {
      await withRetry(ctx, () => runCall(iam, call), isUnmodifiable, { attempts: 5 });
      done.push(describeCall(call));
    } catch (err) {
      const failure = new StepFailedError(describeCall(call), [], [], { cause: err });
      await trail.fail(failure, { details: { ...details, done } });
      throw failure;
    }
  }
  return done;
}
