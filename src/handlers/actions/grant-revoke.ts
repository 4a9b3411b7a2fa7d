import type { Deps } from '../../deps.js';
import { recordedMessage, revokeNow } from '../../flows/grants.js';
import { publishHome } from '../../flows/home.js';
import { onButton } from '../../slack/listener.js';
import { grantRevokedText } from '../../views/grant-messages.js';

/**
 * "I'm done" (holder) and "Revoke now" (admin, on the break-glass broadcast): revoke at once, exactly once.
 * The value is only the grant id; who may click is decided from the stored grant, and the message updated
 * is one the bot recorded for that grant: the payload's channel and ts only pick among those.
 */
export const grantRevokeAction = (deps: Deps, adminOnly: boolean) =>
  onButton(deps, 'grant-revoke', async (c) => {
    const isAdmin = await deps.roles.isAdmin(c.user);
    if (adminOnly && !isAdmin) return c.reply('Only an admin can revoke someone else’s grant.');
    const out = await revokeNow(deps, c.value, c.user, isAdmin);
    const clicked = out.grant && recordedMessage(out.grant, c.body.channel?.id, c.body.message?.ts);
    if (out.revoked && out.grant && clicked) {
      await deps.client.chat
        .update({
          channel: clicked.channel,
          ts: clicked.ts,
          text: grantRevokedText(out.grant, `by <@${c.user}>`),
          blocks: [],
        })
        .catch(() => undefined);
    } else {
      await c.reply(out.message);
    }
    if (c.body.view?.type === 'home') await publishHome(deps, c.user);
  });
