import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { sendSecretDm, undeliveredReason } from '../slack/dm.js';
import { escapeText } from '../views/escape.js';
import { accessKeySecretMessage } from '../views/messages.js';
import { deliveryLine, sendFreshPassword } from './requests/password.js';
import { resolveTarget } from './targets.js';

/**
 * A new access key for the target, with its secret by DM to the owner only; the old key is deactivated,
 * then deleted, by the key-rotation sweep. Returns the reply (which never holds the secret).
 */
export async function rotateKeys(deps: Deps, caller: string, args: readonly string[]): Promise<string> {
  const found = await resolveTarget(deps, caller, args);
  if (!found.ok) return found.message;
  const { target } = found;
  if (!target.owner)
    return `\`${escapeText(target.username)}\` has no SlackUserId tag, so there is nobody to DM the new secret to; tag it first.`;
  const who = { actor: caller, requestId: `rotate-${randomUUID()}` };
  const out = await deps.core.rotateAccessKey({ account: target.account, username: target.username }, who);
  if (!out.newKey) return `Nothing to rotate for \`${escapeText(target.username)}\`.`;
  const deactivate = out.deactivateAt ? ` on ${new Date(out.deactivateAt).toISOString().slice(0, 10)}` : '';
  try {
    await sendSecretDm(
      deps.client,
      target.owner,
      accessKeySecretMessage({
        username: target.username,
        account: target.account,
        accessKeyId: out.newKey.accessKeyId,
        secretAccessKey: out.newKey.secretAccessKey,
        note: out.oldKeyIds.length
          ? `Old key(s) ${out.oldKeyIds.join(', ')} will be deactivated${deactivate}: move to the new one before then.`
          : '',
      }),
    );
  } catch (err) {
    // A secret nobody (or the wrong party) holds must not stay valid: the key goes, the old ones stay.
    const reason = undeliveredReason(err);
    const { accessKeyId } = out.newKey;
    deps.logger.error({ err: errorMessage(err), reason, accessKeyId }, 'could not DM the new access key');
    try {
      await deps.core.discardAccessKey(
        { account: target.account, username: target.username, accessKeyId, oldKeyIds: out.oldKeyIds },
        who,
      );
    } catch (discardErr) {
      deps.logger.error(
        { err: errorMessage(discardErr), accessKeyId },
        'could not delete the undelivered key',
      );
      return `A new key ${accessKeyId} was created but could not be delivered by DM (${reason}), and deleting it failed (${errorMessage(discardErr)}): delete it in IAM now.`;
    }
    const kept = out.oldKeyIds.length ? ' The old key(s) stay as they were.' : '';
    return `The new key for \`${escapeText(target.username)}\` could not be delivered by DM (${reason}), so it was deleted and nobody holds it.${kept} Try again once the owner's DMs work.`;
  }
  const to = target.owner === caller ? 'you' : `<@${target.owner}>`;
  return `New access key \`${out.newKey.accessKeyId}\` for \`${escapeText(target.username)}\` sent to ${to} by DM.`;
}

/**
 * A fresh console password for the target, by DM to its owner only (self-service, or an admin for
 * someone else's user): how a password that could not be delivered, or died with a killed bot, is
 * replaced. If this DM fails too, the password is reset again, so nobody holds it.
 */
export async function resetPassword(deps: Deps, caller: string, args: readonly string[]): Promise<string> {
  const found = await resolveTarget(deps, caller, args);
  if (!found.ok) return found.message;
  const { target } = found;
  const name = `\`${escapeText(target.username)}\``;
  if (!target.owner)
    return `${name} has no SlackUserId tag, so there is nobody to DM the new password to; tag it first.`;
  const snap = await deps.core.describeUser(target.account, target.username);
  if (!snap.hasLoginProfile) return `${name} has no console access, so it has no password to reset.`;
  const who = { actor: caller, requestId: `reset-${randomUUID()}` };
  const delivery = await sendFreshPassword(deps, target, target.owner, who);
  return `New console password for ${name}: ${deliveryLine(delivery, target.owner, target, 'password')}.`;
}
