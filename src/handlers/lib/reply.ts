import type { WebClient } from '@slack/web-api';
import { errorMessage, StoreUnavailableError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { PendingRequest } from '../../store/types.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';

/** An answer only the clicker sees, in the channel they clicked in (or their DM when there is none). */
export async function ephemeral(
  client: WebClient,
  logger: Logger,
  where: { channel?: string | undefined; user: string },
  text: string,
): Promise<void> {
  try {
    if (where.channel) await client.chat.postEphemeral({ channel: where.channel, user: where.user, text });
    else await client.chat.postMessage({ channel: where.user, text });
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'could not send ephemeral reply');
  }
}

/** The words for a click that came too late: who acted, and when. */
export function closedText(r: PendingRequest): string {
  const at = r.decidedAt ? ` at ${r.decidedAt}` : '';
  switch (r.status) {
    case 'approving':
      return `Request \`${r.id}\` was already approved by <@${r.decidedBy}>${at} and is running.`;
    case 'done':
      return `Request \`${r.id}\` was already approved by <@${r.decidedBy}>${at}; it is done.`;
    case 'failed':
      return `Request \`${r.id}\` was approved by <@${r.decidedBy}>${at} and failed: ${r.outcome ?? 'unknown error'}`;
    case 'denied':
      return `Request \`${r.id}\` was already denied by <@${r.decidedBy}>${at}.`;
    case 'expired':
      return `Request \`${r.id}\` expired${at}; ask for a new one with \`/aws-user create\`.`;
    default:
      return `Request \`${r.id}\` is ${r.status}.`;
  }
}

/** What a user sees when something below a listener failed; the store outage gets its fixed words. */
export function failureText(err: unknown): string {
  if (err instanceof StoreUnavailableError) return STORE_UNAVAILABLE;
  return `Something went wrong: ${errorMessage(err)}`;
}

/**
 * Acks first, follow-up work after: a burst of 50 clicks must not wait behind each other's Slack and IAM
 * calls. `afterAck()` (called right after ack()) resolves once no other ack has happened for `quietMs`, or
 * after `maxWaitMs` at most: well inside a trigger_id's 3 s, so views.open still works. One per app.
 */
export class FollowUpGate {
  private lastAck = 0;

  constructor(
    private readonly quietMs = 50,
    private readonly maxWaitMs = 500,
  ) {}

  async afterAck(): Promise<void> {
    const start = performance.now();
    this.lastAck = start;
    await new Promise((resolve) => setImmediate(resolve));
    while (performance.now() - this.lastAck < this.quietMs && performance.now() - start < this.maxWaitMs) {
      await new Promise((resolve) => setTimeout(resolve, this.quietMs));
    }
  }
}
