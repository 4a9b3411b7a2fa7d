import type { Deps } from '../../deps.js';
import { showMyItems } from '../../flows/review/reviewer-dm.js';
import { onButton } from '../../slack/listener.js';

/** App Home's "Show my items": the value is the campaign id; the items are the clicker's own. */
export const reviewHomeShowAction = (deps: Deps) =>
  onButton(deps, 'review-home-show', async (c) => {
    const problem = await showMyItems(deps, c.user, c.value);
    if (problem) await c.reply(problem);
  });
