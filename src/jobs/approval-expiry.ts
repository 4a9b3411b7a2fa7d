import type { JobDeps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { approvalMessage } from '../views/approval.js';
import type { Job } from './host.js';

/** A run that has not finished in this long lost its replica (crash, deploy); no core call takes this long. */
export const STUCK_AFTER_MS = 30 * 60_000;

export const STUCK_OUTCOME =
  'outcome unknown: the bot stopped while running this request; check the IAM user before asking again';

/**
 * Marks requests past their TTL expired, updates their approval message, and tells the requester. Also
 * closes runs whose replica died mid-execution as failed (outcome unknown), so nothing stays "running".
 */
export const approvalExpiry: Job = {
  name: 'approval-expiry',
  schedule: (c) => c.jobs.approval_expiry_schedule,
  async run(deps: JobDeps) {
    const now = deps.clock.now();
    for (const r of await deps.store.listApprovingSince(new Date(now.getTime() - STUCK_AFTER_MS))) {
      if (!(await deps.store.finish(r.id, 'failed', STUCK_OUTCOME, now))) continue;
      const failed = { ...r, status: 'failed' as const, outcome: STUCK_OUTCOME };
      deps.logger.error({ request: r.id }, 'request was left running by a stopped replica; marked failed');
      await deps.core.auditor
        .record({
          actor: 'system',
          action: `request.${r.kind}`,
          account: r.account,
          target: r.target.username,
          outcome: 'failure',
          requestId: r.id,
          error: STUCK_OUTCOME,
        })
        .catch(() => undefined);
      if (r.message) {
        await deps.client.chat
          .update({ channel: r.message.channel, ts: r.message.ts, ...approvalMessage(failed) })
          .catch(() => undefined);
      }
      await deps.client.chat
        .postMessage({
          channel: r.requester,
          text: `Your request \`${r.id}\` (${r.target.username}): ${STUCK_OUTCOME}.`,
        })
        .catch(() => undefined);
    }
    const expired = await deps.store.expireDue(deps.clock.now());
    for (const r of expired) {
      await deps.core.auditor
        .record({
          actor: 'system',
          action: `request.${r.kind}`,
          account: r.account,
          target: r.target.username,
          outcome: 'expired',
          requestId: r.id,
        })
        .catch((err) => deps.logger.warn({ err: errorMessage(err), request: r.id }, 'audit append failed'));
      try {
        if (r.message)
          await deps.client.chat.update({
            channel: r.message.channel,
            ts: r.message.ts,
            ...approvalMessage(r),
          });
        await deps.client.chat.postMessage({
          channel: r.requester,
          text: `Your request \`${r.id}\` (${r.target.username}) expired without enough approvals.`,
        });
      } catch (err) {
        deps.logger.warn(
          { err: errorMessage(err), request: r.id },
          'could not update expired request message',
        );
      }
    }
  },
};
