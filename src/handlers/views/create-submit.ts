import { randomUUID } from 'node:crypto';
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { homeAccountId } from '../../config.js';
import type { AppDeps } from '../../deps.js';
import { ConflictError, errorMessage, StoreUnavailableError, ValidationError } from '../../errors.js';
import { userInfo } from '../../integrations/slack-users.js';
import { CREATE_BLOCKS, USER_PICKED_ACTION } from '../../views/create-modal.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { audit } from '../lib/execute.js';
import { newRequest } from '../lib/new-request.js';
import { postForApproval } from '../lib/post-approval.js';
import { selectValue, textValue, userValue, type ViewState, withTimeout } from '../lib/state.js';
import { EMAIL_RE, GROUP_RE, USERNAME_RE } from '../lib/validate.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Budget for the IAM existence check before the ack; past it, execution re-checks (createUser conflicts). */
export const VALIDATE_BUDGET_MS = 2000;

const FIELD_TO_BLOCK: Record<string, string> = {
  username: CREATE_BLOCKS.username,
  email: CREATE_BLOCKS.email,
  template: CREATE_BLOCKS.template,
  account: CREATE_BLOCKS.account,
  extraGroups: CREATE_BLOCKS.groups,
  groups: CREATE_BLOCKS.groups,
  justification: CREATE_BLOCKS.justification,
};

/**
 * The create / onboard modal's submission: validate (inline errors), record the PendingRequest, close the
 * modal, then post the approval message. All checks that can fail the form run before the ack.
 */
export const createSubmit =
  (deps: AppDeps) =>
  async ({ ack, body, view, client }: Args): Promise<void> => {
    const logger = deps.logger;
    const state = view.state.values as ViewState;
    const requester = body.user.id;
    const username = textValue(state, CREATE_BLOCKS.username);
    let email = textValue(state, CREATE_BLOCKS.email);
    const template = selectValue(state, CREATE_BLOCKS.template) ?? '';
    const account = selectValue(state, CREATE_BLOCKS.account) ?? homeAccountId(deps.config) ?? 'home';
    const justification = textValue(state, CREATE_BLOCKS.justification);
    const owner = userValue(state, CREATE_BLOCKS.owner, USER_PICKED_ACTION);
    const extraGroups = textValue(state, CREATE_BLOCKS.groups)
      .split(/[,\s]+/)
      .filter(Boolean);
    const duration = Number(selectValue(state, CREATE_BLOCKS.duration) ?? 0) || undefined;

    const errors: Record<string, string> = {};
    if (!USERNAME_RE.test(username)) {
      errors[CREATE_BLOCKS.username] = 'Use 1–64 letters, digits or + = , . @ _ - (no spaces).';
    }
    const tpl = deps.config.templates[template];
    if (!tpl) {
      const known = Object.keys(deps.config.templates).join(', ');
      errors[CREATE_BLOCKS.template] = `Unknown template "${template}"; choose one of: ${known}.`;
    }
    if (!justification) errors[CREATE_BLOCKS.justification] = 'Say why this access is needed.';
    const badGroup = extraGroups.find((g) => !GROUP_RE.test(g));
    if (badGroup) errors[CREATE_BLOCKS.groups] = `"${badGroup}" is not an IAM group name.`;
    if (!email && owner)
      email =
        (await withTimeout(userInfo(client, owner), 1000, undefined).catch(() => undefined))?.email ?? '';
    if (!EMAIL_RE.test(email)) errors[CREATE_BLOCKS.email] = 'Enter the owner’s email address.';
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }

    const input = {
      username,
      email,
      template,
      ...(account !== 'home' ? { account } : {}),
      extraGroups,
      ...(owner ? { slackUserId: owner } : {}),
      ...(textValue(state, CREATE_BLOCKS.department)
        ? { department: textValue(state, CREATE_BLOCKS.department) }
        : {}),
      ...(textValue(state, CREATE_BLOCKS.manager)
        ? { manager: textValue(state, CREATE_BLOCKS.manager) }
        : {}),
    };
    const requestId = randomUUID();
    const checked = await withTimeout(
      deps.ops.validateCreate(input, { actor: requester, requestId }).then(
        () => undefined,
        (err: unknown) => err,
      ),
      VALIDATE_BUDGET_MS,
      'timeout' as const,
    );
    if (checked instanceof ValidationError) {
      let block = FIELD_TO_BLOCK[checked.field] ?? CREATE_BLOCKS.username;
      // A missing group the requester did not type is the template's problem, not the extra-groups field's.
      if (block === CREATE_BLOCKS.groups && !extraGroups.some((g) => checked.message.includes(`"${g}"`))) {
        block = CREATE_BLOCKS.template;
      }
      await ack({ response_action: 'errors', errors: { [block]: checked.message } });
      return;
    }
    if (checked instanceof ConflictError) {
      await ack({ response_action: 'errors', errors: { [CREATE_BLOCKS.username]: checked.message } });
      return;
    }
    if (checked === 'timeout') logger.warn({ request: requestId }, 'IAM check slow; execution will re-check');
    else if (checked) {
      // IAM unreachable is not the requester's fault: record the request; execution re-checks.
      logger.warn({ err: errorMessage(checked), request: requestId }, 'validateCreate failed; accepting');
    }

    const request = newRequest(deps, {
      id: requestId,
      kind: 'create',
      requester,
      target: { username, email, ...(owner ? { slackUserId: owner } : {}) },
      template,
      account,
      justification,
      extraGroups,
      ...(duration ? { durationHours: duration } : {}),
      approvalsNeeded: tpl?.approvals_required ?? 1,
      adminOnly: tpl?.admin_only ?? false,
    });
    try {
      await deps.store.createRequest(request);
    } catch (err) {
      const msg = err instanceof StoreUnavailableError ? STORE_UNAVAILABLE : errorMessage(err);
      await ack({ response_action: 'errors', errors: { [CREATE_BLOCKS.justification]: msg } });
      return;
    }
    await ack();

    await audit(deps, request, requester, 'requested', {
      details: { template, extraGroups, approvalsNeeded: request.approvalsNeeded },
    });
    await postForApproval(deps, client, request);
  };
