import { TEMPLATE_TAG, USERNAME_RE } from '../core/index.js';
import type { Deps } from '../deps.js';
import { NotFoundError } from '../errors.js';
import { escapeText } from '../views/escape.js';

/** `<@U123|name>` or `<@U123>`, as Slack escapes a mention in command text (should_escape: true). */
export const MENTION_RE = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;

/** An IAM user a command acts on (account resolved to its id), and the Slack user who owns it (who receives its secrets). */
export interface Target {
  account: string;
  username: string;
  owner: string | undefined;
}

export type Found<T> = ({ ok: true } & T) | { ok: false; message: string };

/** Checks the shape of `[iam-user | @someone] [account]` before the ack. */
export function checkTargetArgs(args: string[]): string | undefined {
  if (args.length > 2) return 'takes at most an IAM user (or @mention) and an account';
  const first = args[0];
  if (first && !MENTION_RE.test(first) && !USERNAME_RE.test(first))
    return `"${first}" is not an IAM user name`;
  return undefined;
}

/**
 * Self-service by default: no argument means the caller's own IAM user (SlackUserId tag). Naming someone
 * else's user, or @mentioning them, is for admins; the owner stays the owner either way. An account
 * argument (id or name) is resolved here, once.
 */
export async function resolveTarget(
  deps: Deps,
  caller: string,
  args: readonly string[],
): Promise<Found<{ target: Target }>> {
  const [first, accountArg] = args;
  let accountId: string | undefined;
  if (accountArg) {
    try {
      accountId = deps.core.accounts.resolve(accountArg).id;
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }
  const mention = first ? MENTION_RE.exec(first)?.[1] : undefined;
  if (!first || mention) {
    const slackId = mention ?? caller;
    if (slackId !== caller && !(await deps.roles.isAdmin(caller))) {
      return { ok: false, message: 'Only admins can act on someone else’s IAM user.' };
    }
    const owned = (await deps.core.usersOwnedBy(slackId)).filter(
      (u) => !accountId || u.account === accountId,
    );
    const whose = slackId === caller ? 'your Slack id' : `<@${slackId}>`;
    if (owned.length === 0)
      return { ok: false, message: `No IAM user is tagged with ${whose} (SlackUserId).` };
    if (owned.length > 1) {
      const list = owned.map((u) => `\`${u.username} ${u.accountName}\``).join(', ');
      return { ok: false, message: `Several IAM users belong to ${whose}; name one: ${list}` };
    }
    const u = owned[0] as (typeof owned)[number];
    return { ok: true, target: { account: u.account, username: u.username, owner: slackId } };
  }
  const account = accountId ? deps.core.accounts.resolve(accountId) : deps.core.accounts.home();
  let owner: string | undefined;
  try {
    owner = (await deps.core.describeUser(account.id, first)).tags.SlackUserId;
  } catch (err) {
    if (err instanceof NotFoundError)
      return {
        ok: false,
        message: `No IAM user \`${escapeText(first)}\` in ${escapeText(account.name)} (${account.id}).`,
      };
    throw err;
  }
  if (owner !== caller && !(await deps.roles.isAdmin(caller))) {
    return {
      ok: false,
      message: `\`${escapeText(first)}\` is not your IAM user; only admins can act on it.`,
    };
  }
  return { ok: true, target: { account: account.id, username: first, owner } };
}

/**
 * The caller's own IAM user in `account` (found by its SlackUserId tag) and the template it was made from
 * (its aws-user:template tag): time-bound access is always for yourself, within your template's allow-list.
 */
export async function ownUserIn(
  deps: Deps,
  caller: string,
  account: string,
): Promise<Found<{ account: string; username: string; template: string }>> {
  const owned = (await deps.core.usersOwnedBy(caller)).filter((u) => u.account === account);
  const u = owned[0];
  if (!u)
    return {
      ok: false,
      message: 'You have no IAM user in this account (none is tagged with your Slack id).',
    };
  if (owned.length > 1) {
    return {
      ok: false,
      message: `Several IAM users in this account are yours (${owned.map((o) => o.username).join(', ')}); ask an admin.`,
    };
  }
  const snap = await deps.core.describeUser(account, u.username);
  const template = snap.tags[TEMPLATE_TAG];
  if (!template)
    return {
      ok: false,
      message: `\`${u.username}\` has no ${TEMPLATE_TAG} tag, so nothing is grantable; ask an admin.`,
    };
  return { ok: true, account, username: u.username, template };
}
