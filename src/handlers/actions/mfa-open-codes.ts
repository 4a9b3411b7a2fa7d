import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppDeps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { mfaCodesModal } from '../../views/mfa.js';
import { ephemeral, failureText } from '../lib/reply.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** "Enter codes": opens the two-code modal, for the owner only. */
export const mfaOpenCodesAction =
  (deps: AppDeps) =>
  async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const user = body.user.id;
    const id = action.value ?? '';
    const where = { channel: body.channel?.id, user };
    try {
      const e = await deps.store.getMfa(id);
      if (!e) {
        return ephemeral(
          client,
          deps.logger,
          where,
          'This MFA enrollment has ended; run `/aws-user mfa` to start again.',
        );
      }
      if (e.owner !== user)
        return ephemeral(client, deps.logger, where, 'Only the owner of this IAM user can enter its codes.');
      await client.views.open({
        trigger_id: body.trigger_id,
        view: mfaCodesModal(e.id, e.username) as never,
      });
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'mfa open codes failed');
      return ephemeral(client, deps.logger, where, failureText(err));
    }
  };
