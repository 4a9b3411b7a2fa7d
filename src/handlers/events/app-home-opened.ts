import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { AppDeps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { publishHome } from '../lib/home.js';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

export const appHomeOpened =
  (deps: AppDeps) =>
  async ({ event, client }: Args): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(deps, client, event.user);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'could not publish App Home');
    }
  };
