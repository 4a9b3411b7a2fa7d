import type { Deps } from '../../deps.js';
import { decideItem } from '../../flows/review/decide.js';
import { clickedSurface } from '../../flows/review/reviewer-dm.js';
import { onButton } from '../../slack/listener.js';

/** Revoke on a review item (confirmed in Slack's dialog); the value is only the item id. */
export const reviewRevokeAction = (deps: Deps) =>
  onButton(deps, 'review-revoke', async (c) => {
    const out = await decideItem(deps, c.user, c.value, 'revoke', undefined, clickedSurface(c.body));
    if (out.status !== 'needs-comment' && !out.redrawn) await c.reply(out.line);
  });
