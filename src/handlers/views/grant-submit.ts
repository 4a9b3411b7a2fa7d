import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { breakGlass } from '../../access/grants.js';
import { validateGrantRequest } from '../../core/grants.js';
import type { AppDeps } from '../../deps.js';
import { errorMessage, StoreUnavailableError, ValidationError } from '../../errors.js';
import { GRANT_BLOCKS, parseAccessValue } from '../../views/grants.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { notify } from '../lib/dm.js';
import { audit } from '../lib/execute.js';
import { newRequest } from '../lib/new-request.js';
import { type OwnUser, ownUserIn } from '../lib/own-user.js';
import { postForApproval } from '../lib/post-approval.js';
import { failureText } from '../lib/reply.js';
import { selectValue, textValue, type ViewState, withTimeout } from '../lib/state.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const LOOKUP_BUDGET_MS = 2000;
const FIELD_TO_BLOCK: Record<string, string> = {
  template: GRANT_BLOCKS.access,
  target: GRANT_BLOCKS.access,
  duration: GRANT_BLOCKS.duration,
  reason: GRANT_BLOCKS.reason,
};

/**
 * Both time-bound modals. A request becomes a PendingRequest (kind grant) and goes to the approvers;
 * break-glass is granted at once by core after the ack, within the template, cap and daily limit.
 */
export const grantSubmit =
  (deps: AppDeps, mode: 'request' | 'break-glass') =>
  async ({ ack, body, view, client }: Args): Promise<void> => {
    const state = view.state.values as ViewState;
    const caller = body.user.id;
    const account = selectValue(state, GRANT_BLOCKS.account) ?? '';
    const access = parseAccessValue(selectValue(state, GRANT_BLOCKS.access) ?? '');
    const durationMinutes = Number(selectValue(state, GRANT_BLOCKS.duration) ?? 0);
    const reason = textValue(state, GRANT_BLOCKS.reason);
    const errors: Record<string, string> = {};
    if (!account) errors[GRANT_BLOCKS.account] = 'Choose an account.';
    if (!access) errors[GRANT_BLOCKS.access] = 'Choose a group or policy.';
    if (!durationMinutes) errors[GRANT_BLOCKS.duration] = 'Choose how long.';
    if (mode === 'break-glass' && reason.length < 10)
      errors[GRANT_BLOCKS.reason] = 'Say what is broken and why you need this now (10 characters or more).';
    if (mode === 'request' && !reason) errors[GRANT_BLOCKS.reason] = 'Say why you need this access.';
    if (Object.keys(errors).length > 0 || !access) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    const own = await withTimeout<OwnUser | Error>(
      ownUserIn(deps, caller, account).catch((err: unknown) =>
        err instanceof Error ? err : new Error(String(err)),
      ),
      LOOKUP_BUDGET_MS,
      new Error('IAM is slow to answer; try again in a moment'),
    );
    if (own instanceof Error || !own.ok) {
      await ack({
        response_action: 'errors',
        errors: { [GRANT_BLOCKS.account]: own.message },
      });
      return;
    }
    try {
      validateGrantRequest(deps.config, {
        template: own.template,
        ...access,
        durationMinutes,
        breakGlass: mode === 'break-glass',
      });
    } catch (err) {
      if (err instanceof ValidationError) {
        await ack({
          response_action: 'errors',
          errors: { [FIELD_TO_BLOCK[err.field] ?? GRANT_BLOCKS.access]: err.message },
        });
        return;
      }
      throw err;
    }

    if (mode === 'break-glass') {
      await ack();
      try {
        await breakGlass(
          { ...deps, client },
          {
            requester: caller,
            ownerSlackId: caller,
            account,
            username: own.username,
            template: own.template,
            ...access,
            durationMinutes,
            reason,
          },
        );
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err) }, 'break-glass refused or failed');
        await notify(
          client,
          caller,
          `Break-glass not granted: ${failureText(err).replace(/^Something went wrong: /, '')}`,
        ).catch(() => undefined);
      }
      return;
    }

    const template = deps.config.templates[own.template];
    const request = newRequest(deps, {
      kind: 'grant',
      requester: caller,
      target: { username: own.username, slackUserId: caller },
      template: own.template,
      account,
      justification: reason,
      extraGroups: [],
      approvalsNeeded: template?.approvals_required ?? 1,
      adminOnly: template?.admin_only ?? false,
      grant: { ...access, durationMinutes },
    });
    try {
      await deps.store.createRequest(request);
    } catch (err) {
      const msg = err instanceof StoreUnavailableError ? STORE_UNAVAILABLE : errorMessage(err);
      await ack({ response_action: 'errors', errors: { [GRANT_BLOCKS.reason]: msg } });
      return;
    }
    await ack();
    await audit(deps, request, caller, 'requested', {
      details: { grant: request.grant, approvalsNeeded: request.approvalsNeeded },
    });
    await postForApproval(deps, client, request);
  };
