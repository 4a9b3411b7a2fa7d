import type { Deps } from '../../deps.js';
import { keepAll } from '../../flows/review/decide.js';
import { clickedMessage } from '../../flows/review/reviewer-dm.js';
import { onButton } from '../../slack/listener.js';

/** "Keep all" on a person: the value is one of their item ids; the rest is read from the store. */
export const reviewKeepAllAction = (deps: Deps) =>
  onButton(deps, 'review-keep-all', async (c) => {
    const out = await keepAll(deps, c.user, c.value, clickedMessage(c.body));
    if (!out.redrawn) await c.reply(out.line);
  });
