import type { Deps } from '../../deps.js';
import { approveRequest } from '../../flows/requests/decide.js';
import { onButton } from '../../slack/listener.js';

/** Approve: the button carries only the request id; the flow decides from the stored request. */
export const approveAction = (deps: Deps) =>
  onButton(deps, 'approve', async (c) => {
    const answer = await approveRequest(deps, c.user, c.value);
    if (answer) await c.reply(answer);
  });
