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

/** Posts to a channel, or to a user id (which Slack delivers as the bot's DM). Best effort: never throws. */
export async function postBestEffort(
  client: WebClient,
  logger: Logger,
  channel: string | undefined,
  message: { text: string; blocks?: KnownBlock[]; thread_ts?: string },
): Promise<void> {
  if (!channel) return;
  try {
    await client.chat.postMessage({ channel, ...message });
  } catch (err) {
    logger.warn({ err: errorMessage(err), channel }, 'message failed');
  }
}
