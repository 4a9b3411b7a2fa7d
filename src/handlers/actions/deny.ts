import type { Deps } from '../../deps.js';
import { denyRequest } from '../../flows/requests/decide.js';
import { onButton } from '../../slack/listener.js';

/** Deny (or withdraw, for the requester): by request id only. */
export const denyAction = (deps: Deps) =>
  onButton(deps, 'deny', async (c) => {
    const answer = await denyRequest(deps, c.user, c.value);
    if (answer) await c.reply(answer);
  });
