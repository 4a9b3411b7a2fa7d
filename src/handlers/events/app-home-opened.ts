import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { subcommands } from '../../commands/index.js';
import { errorMessage } from '../../core/errors.js';
import type { AppDeps } from '../../deps.js';
import { homeView } from '../../views/home.js';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

export const appHomeOpened =
  (deps: AppDeps) =>
  async ({ event, client }: Args): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      const role = await deps.roles.role(event.user);
      await client.views.publish({
        user_id: event.user,
        view: homeView(
          role,
          subcommands.map((s) => s.usage),
        ) as never,
      });
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'could not publish App Home');
    }
  };
