import type { Deps } from '../../deps.js';
import { clickedMessage, turnPage } from '../../flows/review/reviewer-dm.js';
import { onButton } from '../../slack/listener.js';
import { parsePageValue } from '../../views/review.js';

/** Previous / Next in a reviewer's DM: `<campaignId>:<page>`, redrawn in place with the clicker's own items. */
export const reviewPageAction = (deps: Deps) =>
  onButton(deps, 'review-page', async (c) => {
    const v = parsePageValue(c.value);
    const from = clickedMessage(c.body);
    if (!v || !from) return c.reply('This page button is out of date.');
    const problem = await turnPage(deps, c.user, v.campaignId, { ...from, page: v.page });
    if (problem) await c.reply(problem);
  });
