import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { checkReassign, reassignItem } from '../../flows/review/decide.js';
import { republishHome } from '../../flows/review/reviewer-dm.js';
import { notify } from '../../slack/dm.js';
import { multilineValue, userValue, type ViewState } from '../../slack/view-state.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { modalItem, REVIEW_BLOCKS } from '../../views/review.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * "Not my report": the new reviewer and why. Checked before the ack (not the owner, not a bot, not the
 * clicker, and the clicker is the item's reviewer), answered in the modal; the hand-over runs after.
 */
export const reviewReassignSubmit =
  (deps: Deps) =>
  async ({ ack, body, view }: Args): Promise<void> => {
    const user = body.user.id;
    const { itemId, home } = modalItem(view.private_metadata);
    const state = view.state.values as ViewState;
    const to = userValue(state, REVIEW_BLOCKS.reassignTo, REVIEW_BLOCKS.reassignTo);
    const reason = multilineValue(state, REVIEW_BLOCKS.reason);
    const errors: Record<string, string> = {};
    if (!to) errors[REVIEW_BLOCKS.reassignTo] = 'Pick who should review this.';
    if (reason.length < 3) errors[REVIEW_BLOCKS.reason] = 'Say why them (a few words at least).';
    if (!to || Object.keys(errors).length > 0) return void (await ack({ response_action: 'errors', errors }));
    let problem: string | undefined;
    try {
      problem = await checkReassign(deps, user, itemId, to);
    } catch {
      problem = STORE_UNAVAILABLE;
    }
    if (problem)
      return void (await ack({ response_action: 'errors', errors: { [REVIEW_BLOCKS.reassignTo]: problem } }));
    await ack();
    try {
      await notify(deps.client, user, await reassignItem(deps, user, itemId, to, reason));
      if (home) await republishHome(deps, user);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'review reassign failed');
      await notify(deps.client, user, `The item was not handed over: ${errorMessage(err)}`).catch(
        () => undefined,
      );
    }
  };
