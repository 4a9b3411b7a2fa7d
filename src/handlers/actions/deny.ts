import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppDeps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { notify } from '../lib/dm.js';
import { audit, updateApprovalMessage } from '../lib/execute.js';
import { closedText, ephemeral, failureText } from '../lib/reply.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Deny: the same people who may approve may deny; the requester may withdraw their own request. */
export const denyAction =
  (deps: AppDeps) =>
  async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const logger = deps.logger;
    const user = body.user.id;
    const where = { channel: body.channel?.id, user };
    const id = action.value ?? '';
    try {
      const r = await deps.store.getRequest(id);
      if (!r) return ephemeral(client, logger, where, `Request \`${id}\` no longer exists.`);
      if (r.status !== 'pending') return ephemeral(client, logger, where, closedText(r));
      const withdrawing = r.requester === user;
      const allowed =
        withdrawing || (r.adminOnly ? await deps.roles.isAdmin(user) : await deps.roles.isApprover(user));
      if (!allowed) {
        return ephemeral(
          client,
          logger,
          where,
          `Only ${r.adminOnly ? 'an admin' : 'an approver'} can deny request \`${id}\`.`,
        );
      }
      const res = await deps.store.deny(
        id,
        user,
        deps.clock.now(),
        withdrawing ? 'withdrawn by the requester' : undefined,
      );
      if (res.result === 'missing')
        return ephemeral(client, logger, where, `Request \`${id}\` no longer exists.`);
      if (res.result !== 'denied') return ephemeral(client, logger, where, closedText(res.request));
      await audit(deps, res.request, user, 'denied');
      await updateApprovalMessage(client, deps, res.request);
      if (!withdrawing) {
        await notify(
          client,
          r.requester,
          `Your request \`${id}\` for \`${r.target.username}\` was denied by <@${user}>.`,
        ).catch(() => undefined);
      }
    } catch (err) {
      logger.warn({ err: errorMessage(err), request: id }, 'deny failed');
      return ephemeral(client, logger, where, failureText(err));
    }
  };
