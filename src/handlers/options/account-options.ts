import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { accountOptions } from '../../views/create-modal.js';
import { filterOptions } from '../../views/select.js';

type Args = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

/** The account selects of the create and grant modals: the configured accounts matching what was typed. */
export const accountOptionsListener =
  (deps: Deps) =>
  async ({ ack, body }: Args): Promise<void> => {
    await ack({
      options: filterOptions(accountOptions(deps.core.accounts.list()), String(body.value ?? '')),
    });
  };
