import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { accessOptions, BREAK_GLASS_CALLBACK, grantableAccess } from '../../views/grant-modal.js';
import { filterOptions } from '../../views/select.js';

type Args = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

/**
 * The grant modals' group-or-policy select: the templates' grantable access matching what was typed. Which
 * modal asks comes from the payload, so it only narrows the list; the submission checks the template.
 */
export const grantAccessOptionsListener =
  (deps: Deps) =>
  async ({ ack, body }: Args): Promise<void> => {
    const breakGlass = body.view?.callback_id === BREAK_GLASS_CALLBACK;
    const options = accessOptions(grantableAccess(deps.config, breakGlass));
    await ack({ options: filterOptions(options, String(body.value ?? '')) });
  };
