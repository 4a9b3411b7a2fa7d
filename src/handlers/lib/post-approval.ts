import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import type { PendingRequest } from '../../store/types.js';
import { approvalMessage } from '../../views/approval.js';
import { notify } from './dm.js';

/** Posts a recorded request to the approvals channel, remembers the message, and tells the requester. */
export async function postForApproval(deps: Deps, client: WebClient, request: PendingRequest): Promise<void> {
  const channel = deps.config.slack.approvals_channel;
  if (!channel) {
    await notify(
      client,
      request.requester,
      `Request \`${request.id}\` is recorded, but no approvals channel is configured (slack.approvals_channel); ask an admin.`,
    ).catch(() => undefined);
    return;
  }
  try {
    const posted = await client.chat.postMessage({ channel, ...approvalMessage(request) });
    if (posted.ts)
      await deps.store.setRequestMessage(request.id, { channel: posted.channel ?? channel, ts: posted.ts });
    await notify(
      client,
      request.requester,
      `Request \`${request.id}\` for \`${request.target.username}\` is waiting for approval in <#${channel}>.`,
    );
  } catch (err) {
    deps.logger.error({ err: errorMessage(err), request: request.id }, 'could not post approval message');
    await notify(
      client,
      request.requester,
      `Request \`${request.id}\` is recorded but the approval message failed: ${errorMessage(err)}`,
    ).catch(() => undefined);
  }
}
