import type { WebClient } from '@slack/web-api';
import { lookupByEmail, openDm } from './users.js';

/**
 * The only way a secret leaves the bot: a DM to the Slack user who owns the IAM user. Returns undefined
 * when no owner can be found, so the caller can say "not delivered" without ever falling back to a channel.
 */
export async function resolveOwner(
  client: WebClient,
  owner: { slackUserId?: string | undefined; email?: string | undefined },
): Promise<string | undefined> {
  if (owner.slackUserId) return owner.slackUserId;
  if (owner.email) return lookupByEmail(client, owner.email);
  return undefined;
}

export async function sendSecretDm(client: WebClient, ownerSlackId: string, text: string): Promise<void> {
  const channel = await openDm(client, ownerSlackId);
  // unfurls off: a sign-in URL preview adds nothing and copies the message into link metadata.
  await client.chat.postMessage({ channel, text, unfurl_links: false, unfurl_media: false });
}

/** A plain, non-secret DM (outcomes to the requester). */
export async function notify(client: WebClient, userId: string, text: string): Promise<void> {
  const channel = await openDm(client, userId);
  await client.chat.postMessage({ channel, text });
}
