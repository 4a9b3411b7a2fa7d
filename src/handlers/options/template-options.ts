import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { templateOptions } from '../../views/create-modal.js';
import { filterOptions } from '../../views/select.js';

type Args = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

/** The create modal's template select: the configured templates matching what was typed. */
export const templateOptionsListener =
  (deps: Deps) =>
  async ({ ack, body }: Args): Promise<void> => {
    await ack({ options: filterOptions(templateOptions(deps.config), String(body.value ?? '')) });
  };
