import type { AuditOutcome } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import type { PendingRequest } from '../../store/types.js';
import { approvalMessage } from '../../views/approval.js';

/** One audit event for a request's step. The trail must not block the flow; the log line keeps a gap visible. */
export async function auditRequest(
  deps: Pick<Deps, 'core' | 'logger'>,
  r: PendingRequest,
  actor: string,
  outcome: AuditOutcome,
  extra: { error?: string; details?: Record<string, unknown> } = {},
): Promise<void> {
  try {
    await deps.core.audit({
      actor,
      action: `request.${r.kind}`,
      account: r.account,
      target: r.target.username,
      outcome,
      requestId: r.id,
      ...extra,
    });
  } catch (err) {
    deps.logger.error({ err: errorMessage(err), request: r.id }, 'audit append failed');
  }
}

/** Redraws the approval message the bot posted (the stored channel and ts, never a payload's). */
export async function updateApprovalMessage(
  deps: Pick<Deps, 'client' | 'logger'>,
  r: PendingRequest,
  progress?: string,
): Promise<void> {
  if (!r.message) return;
  try {
    await deps.client.chat.update({
      channel: r.message.channel,
      ts: r.message.ts,
      ...approvalMessage(r, progress),
    });
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err), request: r.id }, 'chat.update of approval message failed');
  }
}
