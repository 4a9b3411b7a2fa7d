import { errorMessage } from '../errors.js';
import { sendSecretDm } from '../handlers/lib/dm.js';
import { checkTargetArgs, resolveTarget } from '../handlers/lib/targets.js';
import { escapeText } from '../views/escape.js';
import { accessKeySecretMessage } from '../views/messages.js';
import type { Subcommand } from './types.js';

export const rotateKeys: Subcommand = {
  name: 'rotate-keys',
  usage: 'rotate-keys [iam-user | @someone] [account]',
  summary:
    'new access key by DM to its owner; the old one is deactivated, then deleted, after a grace period',
  check: checkTargetArgs,
  handler: (deps) => async (c) => {
    const caller = c.command.user_id;
    const found = await resolveTarget(deps, caller, c.args);
    if (!found.ok) return c.reply(found.message);
    const { target } = found;
    if (!target.owner) {
      await c.reply(
        `\`${escapeText(target.username)}\` has no SlackUserId tag, so there is nobody to DM the new secret to; tag it first.`,
      );
      return;
    }
    const who = { actor: caller, requestId: `rotate-${Date.now()}` };
    const out = await deps.ops.rotateAccessKey({ account: target.account, username: target.username }, who);
    if (out.newKey) {
      try {
        await sendSecretDm(
          c.client,
          target.owner,
          accessKeySecretMessage({
            username: target.username,
            account: target.account ?? 'home',
            accessKeyId: out.newKey.accessKeyId,
            secretAccessKey: out.newKey.secretAccessKey,
            note: out.oldKeyIds.length
              ? `Old key(s) ${out.oldKeyIds.join(', ')} will be deactivated${out.deactivateAt ? ` on ${new Date(out.deactivateAt).toISOString().slice(0, 10)}` : ''}: move to the new one before then.`
              : '',
          }),
        );
      } catch (err) {
        deps.logger.error({ err: errorMessage(err) }, 'could not DM the new access key');
        await c.reply(
          `A new key ${out.newKey.accessKeyId} was created but could not be delivered by DM; deactivate it and try again.`,
        );
        return;
      }
    }
    const to = target.owner === caller ? 'you' : `<@${target.owner}>`;
    await c.reply(
      out.newKey
        ? `New access key \`${out.newKey.accessKeyId}\` for \`${escapeText(target.username)}\` sent to ${to} by DM.`
        : `Nothing to rotate for \`${escapeText(target.username)}\`.`,
    );
  },
};
