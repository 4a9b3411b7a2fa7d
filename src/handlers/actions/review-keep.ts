import type { Deps } from '../../deps.js';
import { decideItem } from '../../flows/review/decide.js';
import { clickedSurface } from '../../flows/review/reviewer-dm.js';
import { onButton } from '../../slack/listener.js';
import { commentModal } from '../../views/review.js';

/**
 * Keep on a review item (the value is only its id). Unused access needs a comment: then the comment modal
 * opens instead, before anything else is done with the 3-second trigger.
 */
export const reviewKeepAction = (deps: Deps) =>
  onButton(deps, 'review-keep', async (c) => {
    const from = clickedSurface(c.body);
    const out = await decideItem(deps, c.user, c.value, 'keep', undefined, from);
    if (out.status === 'needs-comment') {
      await deps.client.views.open({
        trigger_id: c.triggerId,
        view: commentModal(out.item, out.campaign.thresholds, from !== undefined && 'home' in from),
      });
    } else if (!out.redrawn) await c.reply(out.line);
  });
