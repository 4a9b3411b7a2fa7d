import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppDeps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { audit, executeRequest, updateApprovalMessage } from '../lib/execute.js';
import { closedText, ephemeral, failureText } from '../lib/reply.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * Approve: ack at once, then check the rules (not the requester, not the owner, an approver, an admin for
 * admin-only requests) and let the store's atomic transition pick the one click that runs the request.
 */
export const approveAction =
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
      if (!r)
        return ephemeral(client, logger, where, `Request \`${id}\` no longer exists (it may have expired).`);
      if (r.status !== 'pending') return ephemeral(client, logger, where, closedText(r));
      if (r.requester === user) {
        return ephemeral(
          client,
          logger,
          where,
          'You cannot approve your own request; another approver must.',
        );
      }
      if (r.target.slackUserId === user) {
        return ephemeral(
          client,
          logger,
          where,
          'You cannot approve access for yourself; another approver must.',
        );
      }
      const allowed = r.adminOnly ? await deps.roles.isAdmin(user) : await deps.roles.isApprover(user);
      if (!allowed) {
        logger.warn({ user, request: id }, 'unauthorised approval click');
        const who = r.adminOnly ? 'an admin' : 'a configured approver';
        return ephemeral(client, logger, where, `Only ${who} can approve request \`${id}\`.`);
      }
      const res = await deps.store.approve(id, user, deps.clock.now());
      switch (res.result) {
        case 'approved':
          return executeRequest(deps, client, res.request);
        case 'counted':
          await audit(deps, res.request, user, 'approved', {
            details: { approvals: res.request.approvals.length, needed: res.request.approvalsNeeded },
          });
          await updateApprovalMessage(client, deps, res.request);
          return ephemeral(
            client,
            logger,
            where,
            `Your approval is counted (${res.request.approvals.length}/${res.request.approvalsNeeded}); it needs another approver.`,
          );
        case 'duplicate':
          return ephemeral(
            client,
            logger,
            where,
            'You already approved this request; it needs a different approver.',
          );
        case 'expired':
          await audit(deps, res.request, 'system', 'expired');
          await updateApprovalMessage(client, deps, res.request);
          return ephemeral(client, logger, where, closedText(res.request));
        case 'closed':
          return ephemeral(client, logger, where, closedText(res.request));
        case 'missing':
          return ephemeral(client, logger, where, `Request \`${id}\` no longer exists.`);
      }
    } catch (err) {
      logger.warn({ err: errorMessage(err), request: id }, 'approve failed');
      return ephemeral(client, logger, where, failureText(err));
    }
  };
