import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { enableMfa, finishMfa, isWrongCodes } from '../../flows/mfa.js';
import { withTimeout } from '../../slack/timeout.js';
import { textValue, type ViewState } from '../../slack/view-state.js';
import type { MfaEnrollmentRecord } from '../../store/types.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { MFA_BLOCKS } from '../../views/mfa.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Enabling waits at most this long before the ack; a slower IAM finishes after, and the owner is told by DM. */
const ENABLE_BUDGET_MS = 2200;

function codeErrors(code1: string, code2: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!/^\d{6}$/.test(code1)) errors[MFA_BLOCKS.code1] = 'Six digits from your authenticator app.';
  if (!/^\d{6}$/.test(code2)) errors[MFA_BLOCKS.code2] = 'Six digits: the code after the first one.';
  else if (code1 === code2)
    errors[MFA_BLOCKS.code2] = 'Wait for the next code; this one is the same as the first.';
  return errors;
}

/** The two MFA codes: checked, then EnableMFADevice, answered inline when IAM is quick enough. */
export const mfaCodesSubmit =
  (deps: Deps) =>
  async ({ ack, body, view }: Args): Promise<void> => {
    const state = view.state.values as ViewState;
    const code1 = textValue(state, MFA_BLOCKS.code1);
    const code2 = textValue(state, MFA_BLOCKS.code2);
    const inline = (message: string) =>
      ack({ response_action: 'errors', errors: { [MFA_BLOCKS.code1]: message } });
    const errors = codeErrors(code1, code2);
    if (Object.keys(errors).length > 0) return void (await ack({ response_action: 'errors', errors }));

    let e: MfaEnrollmentRecord | undefined;
    try {
      e = await deps.store.getMfa(view.private_metadata);
    } catch {
      return void (await inline(STORE_UNAVAILABLE));
    }
    if (!e) return void (await inline('This enrollment has ended; run /aws-user mfa to start again.'));
    if (e.owner !== body.user.id) return void (await inline('Only the owner can enter codes.'));
    const enabling = enableMfa(deps, e, body.user.id, code1, code2);
    const first = await withTimeout(enabling, ENABLE_BUDGET_MS, 'slow' as const);
    if (isWrongCodes(first))
      return void (await inline('Those codes did not match; enter two new consecutive codes.'));
    await ack();
    await finishMfa(deps, e, first === 'slow' ? await enabling : first);
  };
