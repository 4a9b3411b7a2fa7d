import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppDeps } from '../../deps.js';
import { errorMessage, ValidationError } from '../../errors.js';
import { STORE_UNAVAILABLE } from '../../views/messages.js';
import { MFA_BLOCKS } from '../../views/mfa.js';
import { notify } from '../lib/dm.js';
import { opsAccount } from '../lib/execute.js';
import { textValue, type ViewState, withTimeout } from '../lib/state.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Enabling waits at most this long before the ack; a slower IAM finishes after, and the owner is told by DM. */
const ENABLE_BUDGET_MS = 2200;

export const mfaCodesSubmit =
  (deps: AppDeps) =>
  async ({ ack, body, view, client }: Args): Promise<void> => {
    const state = view.state.values as ViewState;
    const code1 = textValue(state, MFA_BLOCKS.code1);
    const code2 = textValue(state, MFA_BLOCKS.code2);
    const errors: Record<string, string> = {};
    if (!/^\d{6}$/.test(code1)) errors[MFA_BLOCKS.code1] = 'Six digits from your authenticator app.';
    if (!/^\d{6}$/.test(code2)) errors[MFA_BLOCKS.code2] = 'Six digits: the code after the first one.';
    else if (code1 === code2)
      errors[MFA_BLOCKS.code2] = 'Wait for the next code; this one is the same as the first.';
    if (Object.keys(errors).length > 0) return void (await ack({ response_action: 'errors', errors }));

    const id = view.private_metadata;
    let e: Awaited<ReturnType<AppDeps['store']['getMfa']>>;
    try {
      e = await deps.store.getMfa(id);
    } catch {
      return void (await ack({
        response_action: 'errors',
        errors: { [MFA_BLOCKS.code1]: STORE_UNAVAILABLE },
      }));
    }
    if (!e) {
      return void (await ack({
        response_action: 'errors',
        errors: { [MFA_BLOCKS.code1]: 'This enrollment has ended; run /aws-user mfa to start again.' },
      }));
    }
    if (e.owner !== body.user.id) {
      return void (await ack({
        response_action: 'errors',
        errors: { [MFA_BLOCKS.code1]: 'Only the owner can enter codes.' },
      }));
    }
    const enrollment = e;
    const who = { actor: body.user.id, requestId: enrollment.id };
    const enabling = deps.ops
      .completeMfaEnrollment(
        {
          account: opsAccount(enrollment.account),
          username: enrollment.username,
          serialNumber: enrollment.serialNumber,
          code1,
          code2,
        },
        who,
      )
      .then(
        () => 'ok' as const,
        (err: unknown) => err,
      );
    const first = await withTimeout(enabling, ENABLE_BUDGET_MS, 'slow' as const);
    if (first instanceof ValidationError) {
      return void (await ack({
        response_action: 'errors',
        errors: { [MFA_BLOCKS.code1]: 'Those codes did not match; enter two new consecutive codes.' },
      }));
    }
    await ack();
    const result = first === 'slow' ? await enabling : first;
    if (result !== 'ok') {
      deps.logger.warn({ err: errorMessage(result), enrollment: enrollment.id }, 'mfa enable failed');
      await notify(
        client,
        enrollment.owner,
        `MFA could not be enabled: ${errorMessage(result)}. Press *Enter codes* to try again.`,
      ).catch(() => undefined);
      return;
    }
    await deps.store.takeMfa(enrollment.id).catch(() => undefined);
    if (enrollment.fileId) {
      await client.files.delete({ file: enrollment.fileId }).catch((err: unknown) => {
        deps.logger.warn({ err: errorMessage(err) }, 'could not delete the MFA QR file');
      });
    }
    await notify(
      client,
      enrollment.owner,
      `MFA is enabled for \`${enrollment.username}\`. The QR code has been deleted.`,
    ).catch(() => undefined);
  };
