import { homeAccountId } from '../../config.js';
import type { AppDeps } from '../../deps.js';
import { NotFoundError } from '../../errors.js';
import { opsAccount } from './execute.js';
import { MENTION_RE, USERNAME_RE } from './validate.js';

/** An IAM user a command acts on, and the Slack user who owns it (who receives its secrets). */
export interface Target {
  account: string | undefined;
  username: string;
  owner: string | undefined;
}

export type TargetResult = { ok: true; target: Target } | { ok: false; message: string };

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
 * else's user, or @mentioning them, is for admins; the owner stays the owner either way.
 */
export async function resolveTarget(deps: AppDeps, caller: string, args: string[]): Promise<TargetResult> {
  const [first, accountArg] = args;
  const account = accountArg ?? undefined;
  if (account) {
    try {
      deps.core.clients.account(account);
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
    const owned = (await deps.ops.usersOwnedBy(slackId)).filter(
      (u) => !account || u.account === account || u.accountName === account,
    );
    const whose = slackId === caller ? 'your Slack id' : `<@${slackId}>`;
    if (owned.length === 0)
      return { ok: false, message: `No IAM user is tagged with ${whose} (SlackUserId).` };
    if (owned.length > 1) {
      const list = owned.map((u) => `\`${u.username} ${u.accountName}\``).join(', ');
      return { ok: false, message: `Several IAM users belong to ${whose}; name one: ${list}` };
    }
    const u = owned[0] as (typeof owned)[number];
    return { ok: true, target: { account: opsAccount(u.account), username: u.username, owner: slackId } };
  }
  let owner: string | undefined;
  try {
    const snap = await deps.ops.describeUser(account, first);
    owner = snap.tags.SlackUserId;
  } catch (err) {
    if (err instanceof NotFoundError) {
      return {
        ok: false,
        message: `No IAM user \`${first}\` in ${account ?? homeAccountId(deps.config) ?? 'the home account'}.`,
      };
    }
    throw err;
  }
  if (owner !== caller && !(await deps.roles.isAdmin(caller))) {
    return { ok: false, message: `\`${first}\` is not your IAM user; only admins can act on it.` };
  }
  return { ok: true, target: { account, username: first, owner } };
}
