import { randomUUID } from 'node:crypto';
import type { Deps } from '../../deps.js';
import { errorMessage, StoreUnavailableError } from '../../errors.js';
import { notify } from '../../slack/dm.js';
import type { PendingRequest } from '../../store/types.js';
import { approvalMessage } from '../../views/approval.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { auditRequest } from './record.js';

export type RequestFields = Omit<
  PendingRequest,
  'id' | 'status' | 'approvals' | 'createdAt' | 'expiresAt'
> & {
  id?: string;
};

/** A fresh pending request: new id, no approvals yet, expiring after approvals.ttl_hours. */
export function newRequest(deps: Pick<Deps, 'clock' | 'config'>, fields: RequestFields): PendingRequest {
  const now = deps.clock.now();
  return {
    id: randomUUID(),
    ...fields,
    approvals: [],
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.config.approvals.ttl_hours * 3_600_000).toISOString(),
  };
}

/**
 * After a request is recorded: the audit event, the approval message (remembered for chat.update) and a
 * note to the requester. A modal records first and announces after its ack, so these are separate steps.
 */
export async function announceRequest(
  deps: Deps,
  request: PendingRequest,
  details?: Record<string, unknown>,
): Promise<void> {
  await auditRequest(deps, request, request.requester, 'requested', details ? { details } : {});
  const channel = deps.config.slack.approvals_channel;
  if (!channel) {
    await notify(
      deps.client,
      request.requester,
      `Request \`${request.id}\` is recorded, but no approvals channel is configured (slack.approvals_channel); ask an admin.`,
    ).catch(() => undefined);
    return;
  }
  try {
    const posted = await deps.client.chat.postMessage({ channel, ...approvalMessage(request) });
    if (posted.ts)
      await deps.store.setRequestMessage(request.id, { channel: posted.channel ?? channel, ts: posted.ts });
    await notify(
      deps.client,
      request.requester,
      `Request \`${request.id}\` for \`${request.target.username}\` is waiting for approval in <#${channel}>.`,
    );
  } catch (err) {
    deps.logger.error({ err: errorMessage(err), request: request.id }, 'could not post approval message');
    await notify(
      deps.client,
      request.requester,
      `Request \`${request.id}\` is recorded but the approval message failed: ${errorMessage(err)}`,
    ).catch(() => undefined);
  }
}

/** Records a request and announces it: for callers that have already acked (commands, buttons). */
export async function fileRequest(
  deps: Deps,
  request: PendingRequest,
  details?: Record<string, unknown>,
): Promise<void> {
  await deps.store.createRequest(request);
  await announceRequest(deps, request, details);
}

/**
 * Records a request before a modal's ack. Returns undefined when stored, or the words for the modal's
 * inline error (the store outage gets its fixed words), so nothing is announced for an unrecorded request.
 */
export async function recordRequest(deps: Deps, request: PendingRequest): Promise<string | undefined> {
  try {
    await deps.store.createRequest(request);
    return undefined;
  } catch (err) {
    return err instanceof StoreUnavailableError ? STORE_UNAVAILABLE : errorMessage(err);
  }
}
