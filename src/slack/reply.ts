import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { errorMessage, StoreUnavailableError, UnauthorizedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { STORE_UNAVAILABLE } from '../views/messages.js';

/** Where a clicker gets their answer: the channel they clicked in, or their DM when there is none. */
export interface Where {
  channel?: string | undefined;
  user: string;
}

/** An answer only the clicker sees. Never throws: a lost reply must not turn into a failed action. */
export async function ephemeral(
  client: WebClient,
  logger: Logger,
  where: Where,
  text: string,
): Promise<void> {
  try {
    if (where.channel) await client.chat.postEphemeral({ channel: where.channel, user: where.user, text });
    else await client.chat.postMessage({ channel: where.user, text });
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'could not send ephemeral reply');
  }
}

/** What a user sees when something below a listener failed; a refusal and the store outage get their own words. */
export function failureText(err: unknown): string {
  if (err instanceof StoreUnavailableError) return STORE_UNAVAILABLE;
  if (err instanceof UnauthorizedError) return err.message;
  return `Something went wrong: ${errorMessage(err)}`;
}

/** Where a posted message lives, as Slack answered (a user id posted to comes back as the DM's channel). */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/**
 * Posts to a channel, or to a user id (which Slack delivers as the bot's DM). Best effort: never throws;
 * returns where the message went, for a caller that must later recognise it, or undefined when it did not.
 */
export async function postBestEffort(
  client: WebClient,
  logger: Logger,
  channel: string | undefined,
  message: { text: string; blocks?: KnownBlock[]; thread_ts?: string },
): Promise<PostedMessage | undefined> {
  if (!channel) return undefined;
  try {
    const res = await client.chat.postMessage({ channel, ...message });
    return res.ts ? { channel: res.channel ?? channel, ts: res.ts } : undefined;
  } catch (err) {
    logger.warn({ err: errorMessage(err), channel }, 'message failed');
    return undefined;
  }
}
