import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { breakGlass } from '../../flows/grants.js';
import { announceRequest, recordRequest } from '../../flows/requests/file.js';
import { type GrantForm, grantRequest, prepareGrant, requestedGrant } from '../../flows/requests/grant.js';
import { notify } from '../../slack/dm.js';
import { failureText } from '../../slack/reply.js';
import { multilineValue, selectValue, type ViewState } from '../../slack/view-state.js';
import { accessFromValue, GRANT_BLOCKS } from '../../views/grant-modal.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The access select carries a short id: mapped back through the config, never parsed from the payload. */
function readForm(deps: Deps, state: ViewState): GrantForm {
  const access = selectValue(state, GRANT_BLOCKS.access);
  return {
    account: selectValue(state, GRANT_BLOCKS.account) ?? '',
    access: access ? accessFromValue(deps.config, access) : undefined,
    durationMinutes: Number(selectValue(state, GRANT_BLOCKS.duration) ?? 0),
    reason: multilineValue(state, GRANT_BLOCKS.reason),
  };
}

/**
 * Both time-bound modals. A request becomes a PendingRequest (kind grant) and goes to the approvers;
 * break-glass is granted at once after the ack, within the template, cap and daily limit.
 */
export const grantRequestSubmit =
  (deps: Deps, mode: 'request' | 'break-glass') =>
  async ({ ack, body, view }: Args): Promise<void> => {
    const caller = body.user.id;
    const state = view.state.values as ViewState;
    const form = readForm(deps, state);
    if (!form.access && selectValue(state, GRANT_BLOCKS.access)) {
      return void (await ack({
        response_action: 'errors',
        errors: {
          [GRANT_BLOCKS.access]:
            'That choice is not offered (any more): close this form, open it again and pick from the list.',
        },
      }));
    }
    const prepared = await prepareGrant(deps, caller, mode, form);
    if (!prepared.ok) return void (await ack({ response_action: 'errors', errors: prepared.errors }));
    const { ask } = prepared;
    if (mode === 'break-glass') {
      await ack();
      try {
        await breakGlass(deps, ask);
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err) }, 'break-glass refused or failed');
        await notify(
          deps.client,
          caller,
          `Break-glass not granted: ${failureText(err).replace(/^Something went wrong: /, '')}`,
        ).catch(() => undefined);
      }
      return;
    }
    const request = grantRequest(deps, {
      requester: caller,
      owner: caller,
      account: ask.account,
      username: ask.username,
      template: ask.template,
      justification: ask.reason,
      grant: requestedGrant(deps, ask),
    });
    const failed = await recordRequest(deps, request);
    if (failed)
      return void (await ack({ response_action: 'errors', errors: { [GRANT_BLOCKS.reason]: failed } }));
    await ack();
    await announceRequest(deps, request, { grant: request.grant, approvalsNeeded: request.approvalsNeeded });
  };
