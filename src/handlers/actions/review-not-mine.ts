import type { Deps } from '../../deps.js';
import { clickedSurface } from '../../flows/review/reviewer-dm.js';
import { onButton } from '../../slack/listener.js';
import { reassignModal } from '../../views/review.js';

/**
 * "Not my report": the reassign modal opens first, within the trigger's 3 s; who may hand the item over is
 * checked on submission, from the store.
 */
export const reviewNotMineAction = (deps: Deps) =>
  onButton(deps, 'review-not-mine', async (c) => {
    const from = clickedSurface(c.body);
    await deps.client.views.open({
      trigger_id: c.triggerId,
      view: reassignModal(c.value, from !== undefined && 'home' in from),
    });
  });
