import { TEMPLATE_TAG } from '../../core/grants.js';
import type { AppDeps } from '../../deps.js';
import { opsAccount } from './execute.js';

export type OwnUser =
  | { ok: true; account: string; username: string; template: string }
  | { ok: false; message: string };

/**
 * The caller's own IAM user in `account` (found by its SlackUserId tag) and the template it was made from
 * (its aws-user:template tag): time-bound access is always for yourself, within your template's allow-list.
 */
export async function ownUserIn(deps: AppDeps, caller: string, account: string): Promise<OwnUser> {
  const owned = (await deps.ops.usersOwnedBy(caller)).filter((u) => u.account === account);
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
  const snap = await deps.ops.describeUser(opsAccount(account), u.username);
  const template = snap.tags[TEMPLATE_TAG];
  if (!template) {
    return {
      ok: false,
      message: `\`${u.username}\` has no ${TEMPLATE_TAG} tag, so nothing is grantable; ask an admin.`,
    };
  }
  return { ok: true, account, username: u.username, template };
}
