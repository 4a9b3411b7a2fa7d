import type { Deps } from '../../deps.js';
import { onButton } from '../../slack/listener.js';
import { grantModalFor } from '../../views/grant-modal.js';

export const homeRequestAccessAction = (deps: Deps) =>
  onButton(deps, 'home-request-access', async (c) => {
    await deps.client.views.open({
      trigger_id: c.triggerId,
      view: grantModalFor(deps.config, deps.core.accounts.list(), false),
    });
  });
