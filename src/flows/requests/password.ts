import type { Actor } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { sendSecretDm, undeliveredReason } from '../../slack/dm.js';
import { passwordSecretMessage } from '../../views/messages.js';

/**
 * A console password reaches its owner by DM or it does not stand. A send that failed may still have
 * arrived somewhere (a 5xx after Slack stored the message) or arrived nowhere, and either way nobody
 * should hold a working password the bot cannot vouch for: it is reset at once to one nobody is told.
 */
export type Delivery =
  | { delivered: true }
  | { delivered: false; reason: string; reset: boolean; resetError?: string };

export interface PasswordTarget {
  account: string;
  username: string;
}

export async function deliverPassword(
  deps: Deps,
  target: PasswordTarget,
  ownerSlackId: string,
  password: string,
  who: Actor,
): Promise<Delivery> {
  try {
    await sendSecretDm(
      deps.client,
      ownerSlackId,
      passwordSecretMessage({
        username: target.username,
        account: target.account,
        password,
        ...(deps.config.slack.sign_in_url ? { signInUrl: deps.config.slack.sign_in_url } : {}),
      }),
    );
    return { delivered: true };
  } catch (err) {
    const reason = undeliveredReason(err);
    const log = deps.logger.child({ request: who.requestId, username: target.username });
    log.error({ err: errorMessage(err), reason }, 'could not DM the password; resetting it');
    try {
      await deps.core.resetPassword(target, who);
      return { delivered: false, reason, reset: true };
    } catch (resetErr) {
      log.error({ err: errorMessage(resetErr) }, 'could not reset the undelivered password');
      return { delivered: false, reason, reset: false, resetError: errorMessage(resetErr) };
    }
  }
}

/** A fresh password (the old one stops working) sent to the owner: after a lost or undelivered one. */
export async function sendFreshPassword(
  deps: Deps,
  target: PasswordTarget,
  ownerSlackId: string,
  who: Actor,
): Promise<Delivery> {
  const { password } = await deps.core.resetPassword(target, who);
  return deliverPassword(deps, target, ownerSlackId, password, who);
}

/** The command that sends a fresh password later, for the approvers' message. */
export function resetHint(target: PasswordTarget): string {
  return `\`/aws-user reset-password ${target.username} ${target.account}\``;
}

/** The approvers' and requester's words for a delivery, e.g. "initial password sent to @x by DM". */
export function deliveryLine(
  d: Delivery,
  ownerSlackId: string,
  target: PasswordTarget,
  what = 'initial password',
): string {
  if (d.delivered) return `${what} sent to <@${ownerSlackId}> by DM`;
  if (d.reset)
    return `the ${what} could NOT be delivered to <@${ownerSlackId}> by DM (${d.reason}), so it was reset and nobody holds it: NEEDS A PASSWORD RESET (${resetHint(target)} once the owner's DMs work)`;
  return `the ${what} could NOT be delivered to <@${ownerSlackId}> by DM (${d.reason}) and resetting it failed too (${d.resetError ?? 'unknown'}): reset the password in IAM NOW`;
}
