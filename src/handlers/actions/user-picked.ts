import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  UsersSelectAction,
} from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { openedFor } from '../../slack/opened-views.js';
import { userInfo } from '../../slack/users.js';
import { type CreateModalMeta, createModal, suggestUsername } from '../../views/create-modal.js';

type Args = SlackActionMiddlewareArgs<BlockAction<UsersSelectAction>> & AllMiddlewareArgs;

/**
 * Picking the owner fills in the email and a user name from users.info (views.update, guarded by hash), in a
 * modal the bot opened for the clicker and no other.
 */
export const userPickedAction =
  (deps: Deps) =>
  async ({ ack, body, action }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const view = body.view;
    if (!view) return;
    try {
      // The payload names the view; only one the bot opened for this clicker, at a known hash, is touched.
      if (!view.hash || !(await openedFor(deps.store, body.user.id, view.id))) {
        deps.logger.warn(
          { user: body.user.id, viewId: view.id },
          'owner picker on a view the bot did not open for this user: left alone',
        );
        return;
      }
      const info = await userInfo(deps.client, action.selected_user);
      if (!info) return;
      const meta = JSON.parse(view.private_metadata || '{"mode":"create"}') as CreateModalMeta;
      const username = suggestUsername(info.email);
      await deps.client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: createModal(deps.config, deps.core.accounts.list(), meta, {
          slackUserId: info.id,
          ...(info.email ? { email: info.email } : {}),
          ...(username ? { username } : {}),
        }),
      });
    } catch (err) {
      // A hash_conflict means the user kept typing: their input wins over our prefill.
      deps.logger.debug({ err: errorMessage(err) }, 'prefill from users.info skipped');
    }
  };
