import type { Deps } from '../../deps.js';
import { errorMessage, StepFailedError } from '../../errors.js';
import { notify } from '../../slack/dm.js';
import type { PendingRequest } from '../../store/types.js';
import { runCreate } from './create.js';
import { runGrantRequest } from './grant.js';
import { runOffboard } from './offboard.js';
import { preflight } from './preflight.js';
import { auditRequest, updateApprovalMessage } from './record.js';
import { runRemediation } from './remediate.js';
import { followRevocation, runRevocation } from './revoke.js';

const PROGRESS: Record<PendingRequest['kind'], string> = {
  create: 'creating the IAM user',
  offboard: 'offboarding',
  grant: 'granting access',
  remediate: 'remediating',
  revoke: 'revoking',
};

/** Only StepFailedError carries a step; anything else is reported by message (which never holds a secret). */
export function failureLine(err: unknown): string {
  if (err instanceof StepFailedError) {
    const undone =
      err.rolledBack.length > 0 ? `rolled back: ${err.rolledBack.join(', ')}` : 'nothing to roll back';
    const left =
      err.rollbackFailures.length > 0 ? `; could NOT roll back: ${err.rollbackFailures.join(', ')}` : '';
    return `step "${err.step}" failed (${errorMessage(err.cause)}); ${undone}${left}`;
  }
  return errorMessage(err);
}

/** The preflight checks, then the kind's own module does the work and returns the outcome line. */
export async function run(
  deps: Deps,
  r: PendingRequest,
  who: { actor: string; requestId: string },
): Promise<string> {
  await preflight(deps, r);
  switch (r.kind) {
    case 'create':
      return runCreate(deps, r, who);
    case 'offboard':
      return runOffboard(deps, r, who);
    case 'grant':
      return runGrantRequest(deps, r);
    case 'remediate':
      return runRemediation(deps, r, who);
    case 'revoke':
      return runRevocation(deps, r, who);
  }
}

/** How often a running execution renews its lease in the store (Store.renewApproving). */
export const LEASE_RENEW_MS = 15_000;
/** A lease not renewed for this long has no live replica behind it: recovery may take the request. */
export const LEASE_LAPSED_MS = 2 * 60_000;

/**
 * Runs a request this replica won (status approving), then the message, the audit trail and the
 * requester. Never throws: every failure ends as a `failed` request with the step that broke. While it
 * runs, it renews its lease, so that recovery (recover.ts) never takes a request a live replica runs.
 */
export async function executeRequest(deps: Deps, r: PendingRequest): Promise<void> {
  const renew = setInterval(() => {
    deps.store.renewApproving(r.id, deps.clock.now()).catch((err: unknown) => {
      deps.logger.warn({ err: errorMessage(err), request: r.id }, 'could not renew the execution lease');
    });
  }, LEASE_RENEW_MS);
  renew.unref();
  try {
    await execute(deps, r);
  } finally {
    clearInterval(renew);
  }
}

async function execute(deps: Deps, r: PendingRequest): Promise<void> {
  const approver = r.decidedBy ?? 'unknown';
  const who = { actor: approver, requestId: r.id };
  const log = deps.logger.child({ request: r.id });
  await auditRequest(deps, r, approver, 'approved', {
    details: { approvers: r.approvals.map((a) => a.user) },
  });
  await updateApprovalMessage(deps, r, PROGRESS[r.kind]);

  let line: string;
  try {
    line = await run(deps, r, who);
  } catch (err) {
    const failure = failureLine(err);
    log.warn({ err: failure }, 'request execution failed');
    await deps.store.finish(r.id, 'failed', failure, deps.clock.now()).catch(() => false);
    await followRevocation(deps, r, 'failed', failure);
    await auditRequest(deps, r, approver, 'failure', { error: failure });
    await updateApprovalMessage(deps, { ...r, status: 'failed', outcome: failure });
    await notify(
      deps.client,
      r.requester,
      `Your request \`${r.id}\` for \`${r.target.username}\` failed: ${failure}`,
    ).catch(() => undefined);
    return;
  }
  await deps.store.finish(r.id, 'done', line, deps.clock.now()).catch((err) => {
    log.error({ err: errorMessage(err) }, 'could not record the outcome in the store');
    return false;
  });
  await followRevocation(deps, r, 'done', line);
  await auditRequest(deps, r, approver, 'success');
  await updateApprovalMessage(deps, { ...r, status: 'done', outcome: line });
  await notify(deps.client, r.requester, `Your request \`${r.id}\` is done: ${line}`).catch(() => undefined);
}
