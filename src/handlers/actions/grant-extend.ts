import type { Deps } from '../../deps.js';
import { fileGrantExtension } from '../../flows/requests/grant.js';
import { onButton } from '../../slack/listener.js';

/** "Extend": a new approval request for the same access. */
export const grantExtendAction = (deps: Deps) =>
  onButton(deps, 'grant-extend', async (c) => {
    const answer = await fileGrantExtension(deps, c.user, c.value);
    if (answer) await c.reply(answer);
  });
