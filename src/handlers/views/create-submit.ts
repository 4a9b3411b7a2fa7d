import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { type CreateForm, prepareCreate } from '../../flows/requests/create.js';
import { announceRequest, recordRequest } from '../../flows/requests/file.js';
import { multilineValue, selectValue, textValue, userValue, type ViewState } from '../../slack/view-state.js';
import { CREATE_BLOCKS, USER_PICKED_ACTION } from '../../views/create-modal.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

function readForm(state: ViewState): CreateForm {
  return {
    username: textValue(state, CREATE_BLOCKS.username),
    email: textValue(state, CREATE_BLOCKS.email),
    template: selectValue(state, CREATE_BLOCKS.template) ?? '',
    account: selectValue(state, CREATE_BLOCKS.account),
    justification: multilineValue(state, CREATE_BLOCKS.justification),
    owner: userValue(state, CREATE_BLOCKS.owner, USER_PICKED_ACTION),
    extraGroups: textValue(state, CREATE_BLOCKS.groups)
      .split(/[,\s]+/)
      .filter(Boolean),
    duration: selectValue(state, CREATE_BLOCKS.duration),
    department: textValue(state, CREATE_BLOCKS.department),
    manager: textValue(state, CREATE_BLOCKS.manager),
  };
}

/**
 * The create / onboard modal's submission: every check that can fail the form runs before the ack
 * (inline errors), the request is recorded, the modal closes, then the approval message goes out.
 */
export const createSubmit =
  (deps: Deps) =>
  async ({ ack, body, view }: Args): Promise<void> => {
    const prepared = await prepareCreate(deps, body.user.id, readForm(view.state.values as ViewState));
    if (!prepared.ok) return void (await ack({ response_action: 'errors', errors: prepared.errors }));
    const failed = await recordRequest(deps, prepared.request);
    if (failed)
      return void (await ack({
        response_action: 'errors',
        errors: { [CREATE_BLOCKS.justification]: failed },
      }));
    await ack();
    await announceRequest(deps, prepared.request, prepared.details);
  };
