import { errorMessage } from '../core/errors.js';
import type { JobDeps } from '../deps.js';
import { approvalMessage } from '../views/approval.js';
import type { Job } from './host.js';

/** Marks requests past their TTL expired, updates their approval message, and tells the requester. */
export const approvalExpiry: Job = {
  name: 'approval-expiry',
  schedule: (c) => c.jobs.approval_expiry_schedule,
  async run(deps: JobDeps) {
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
