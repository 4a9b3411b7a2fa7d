import type { WebClient } from '@slack/web-api';

/** Slack user lookups the bot needs, over an injected WebClient (no module state). */
export interface SlackUserInfo {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  deleted: boolean;
  isBot: boolean;
}

function slackError(err: unknown): string | undefined {
  return (err as { data?: { error?: string } }).data?.error;
}

export async function userInfo(client: WebClient, userId: string): Promise<SlackUserInfo | undefined> {
  try {
    const res = await client.users.info({ user: userId });
    const u = res.user;
    if (!u?.id) return undefined;
    return {
      id: u.id,
      name: u.name ?? u.id,
      ...(u.real_name ? { realName: u.real_name } : {}),
      ...(u.profile?.email ? { email: u.profile.email } : {}),
      deleted: u.deleted ?? false,
      isBot: u.is_bot ?? false,
    };
  } catch (err) {
    if (slackError(err) === 'user_not_found') return undefined;
    throw err;
  }
}

/** The Slack user id for an email, or undefined when nobody in the workspace has it. */
export async function lookupByEmail(client: WebClient, email: string): Promise<string | undefined> {
  try {
    const res = await client.users.lookupByEmail({ email });
    return res.user?.id;
  } catch (err) {
    if (slackError(err) === 'users_not_found') return undefined;
    throw err;
  }
}

/**
 * Every active person in the workspace by email (lower-cased): users.list, paged. users.list is Tier 2
 * (about 20 pages of up to 200 a minute), users.lookupByEmail Tier 3 (about 50 lookups a minute), so past a
 * few dozen addresses one directory read is the faster way. Deactivated accounts and bots are left out, as
 * lookupByEmail leaves them out.
 */
export async function emailDirectory(client: WebClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const res = await client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
    for (const m of res.members ?? []) {
      const email = m.profile?.email;
      if (m.id && email && !m.deleted && !m.is_bot) out.set(email.trim().toLowerCase(), m.id);
    }
    cursor = res.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return out;
}

/** The DM channel with a user; posting there, not to the user id, keeps "DM only" explicit. */
export async function openDm(client: WebClient, userId: string): Promise<string> {
  const res = await client.conversations.open({ users: userId });
  const id = res.channel?.id;
  if (!id) throw new Error(`conversations.open returned no channel for ${userId}`);
  return id;
}

export async function usergroupMembers(client: WebClient, usergroup: string): Promise<string[]> {
  const res = await client.usergroups.users.list({ usergroup });
  return res.users ?? [];
}
