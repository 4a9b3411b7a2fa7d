import { errorMessage } from '../errors.js';
import { rememberOpenedView } from '../slack/opened-views.js';
import { type CreateMode, createModal } from '../views/create-modal.js';
import type { Subcommand } from './types.js';

function openModal(mode: CreateMode): Subcommand['handler'] {
  return (deps) => async (c) => {
    // trigger_id dies 3 s after Slack sent the command: open the modal before anything else.
    const opened = await deps.client.views.open({
      trigger_id: c.command.trigger_id,
      view: createModal(deps.config, deps.core.accounts.list(), { mode, channel: c.command.channel_id }),
    });
    const viewId = opened.view?.id;
    if (!viewId) return;
    try {
      // The owner picker updates only views recorded here; without the record the modal still works, unfilled.
      await rememberOpenedView(deps.store, c.command.user_id, viewId);
    } catch (err) {
      deps.logger.warn(
        { err: errorMessage(err) },
        'could not record the opened create modal; no owner prefill',
      );
    }
  };
}

const noArgs = (args: string[]) =>
  args.length > 0 ? 'takes no arguments: the modal asks for everything' : undefined;

export const create: Subcommand = {
  name: 'create',
  usage: 'create',
  summary: 'request a new IAM user from a template (opens a form; needs approval)',
  check: noArgs,
  handler: openModal('create'),
};

export const onboard: Subcommand = {
  name: 'onboard',
  usage: 'onboard',
  summary: 'onboard a new hire: like create, with department and manager',
  check: noArgs,
  handler: openModal('onboard'),
};
