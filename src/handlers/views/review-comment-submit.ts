import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { checkDecision, decideItem } from '../../flows/review/decide.js';
import { republishHome } from '../../flows/review/reviewer-dm.js';
import { notify } from '../../slack/dm.js';
import { multilineValue, type ViewState } from '../../slack/view-state.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { modalItem, REVIEW_BLOCKS } from '../../views/review.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * Keep with a comment (access unused beyond the thresholds). The item is private_metadata's id, read from
 * the store; a refusal the store would give is answered in the modal, before the ack.
 */
export const reviewCommentSubmit =
  (deps: Deps) =>
  async ({ ack, body, view }: Args): Promise<void> => {
    const user = body.user.id;
    const { itemId, home } = modalItem(view.private_metadata);
    const comment = multilineValue(view.state.values as ViewState, REVIEW_BLOCKS.comment);
    const inline = (message: string) =>
      ack({ response_action: 'errors', errors: { [REVIEW_BLOCKS.comment]: message } });
    if (comment.length < 3) return void (await inline('Say why this access stays (a few words at least).'));
    let problem: string | undefined;
    try {
      problem = await checkDecision(deps, user, itemId);
    } catch {
      return void (await inline(STORE_UNAVAILABLE));
    }
    if (problem) return void (await inline(problem));
    await ack();
    try {
      const out = await decideItem(deps, user, itemId, 'keep', comment);
      if (out.status !== 'needs-comment') await notify(deps.client, user, out.line);
      if (home) await republishHome(deps, user);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'review comment submit failed');
      await notify(deps.client, user, `Your decision was not recorded: ${errorMessage(err)}`).catch(
        () => undefined,
      );
    }
  };
