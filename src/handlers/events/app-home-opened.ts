import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { publishHome } from '../../flows/home.js';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

export const appHomeOpened =
  (deps: Deps) =>
  async ({ event }: Args): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(deps, event.user);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'could not publish App Home');
    }
  };
