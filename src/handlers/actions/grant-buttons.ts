import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { revokeNow } from '../../access/grants.js';
import { TEMPLATE_TAG } from '../../core/grants.js';
import type { AppDeps } from '../../deps.js';
import { errorMessage, UnauthorizedError } from '../../errors.js';
import { grantRevokedText } from '../../views/grants.js';
import { audit, opsAccount } from '../lib/execute.js';
import { publishHome } from '../lib/home.js';
import { newRequest } from '../lib/new-request.js';
import { postForApproval } from '../lib/post-approval.js';
import { ephemeral, failureText } from '../lib/reply.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * "I'm done" (holder) and "Revoke now" (admin, on the break-glass broadcast): revoke at once, exactly once.
 * The value is only the grant id; who may click is decided here from the stored grant.
 */
export const grantRevokeAction =
  (deps: AppDeps, adminOnly: boolean) =>
  async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const user = body.user.id;
    const where = { channel: body.channel?.id, user };
    try {
      const isAdmin = await deps.roles.isAdmin(user);
      if (adminOnly && !isAdmin)
        return ephemeral(client, deps.logger, where, 'Only an admin can revoke someone else’s grant.');
      const out = await revokeNow({ ...deps, client }, action.value ?? '', user, isAdmin);
      if (out.revoked && out.grant && body.message && body.channel) {
        await client.chat
          .update({
            channel: body.channel.id,
            ts: body.message.ts,
            text: grantRevokedText(out.grant, `by <@${user}>`),
            blocks: [],
          })
          .catch(() => undefined);
      } else {
        await ephemeral(client, deps.logger, where, out.message);
      }
      if (body.view?.type === 'home') await publishHome(deps, client, user);
    } catch (err) {
      const text = err instanceof UnauthorizedError ? err.message : failureText(err);
      await ephemeral(client, deps.logger, where, text);
    }
  };

/** "Extend": a new approval request for the same access, for the grant's original length. */
export const grantExtendAction =
  (deps: AppDeps) =>
  async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const user = body.user.id;
    const where = { channel: body.channel?.id, user };
    try {
      const g = await deps.store.grants.get(action.value ?? '');
      if (g?.status !== 'active')
        return ephemeral(client, deps.logger, where, 'That grant is no longer active; request access again.');
      if (user !== g.ownerSlackId && user !== g.requester)
        return ephemeral(client, deps.logger, where, 'Only the holder can ask to extend a grant.');
      const snap = await deps.ops.describeUser(opsAccount(g.account), g.username);
      const templateName = snap.tags[TEMPLATE_TAG] ?? '';
      const template = deps.config.templates[templateName];
      const cap = deps.config.grants.max_duration_hours * 60;
      const original = Math.round((Date.parse(g.expiresAt) - Date.parse(g.createdAt)) / 60_000);
      const request = newRequest(deps, {
        kind: 'grant',
        requester: user,
        target: { username: g.username, slackUserId: g.ownerSlackId ?? user },
        template: templateName,
        account: g.account,
        justification: `Extension of grant ${g.id}: ${g.reason}`,
        extraGroups: [],
        approvalsNeeded: template?.approvals_required ?? 1,
        adminOnly: template?.admin_only ?? false,
        grant: {
          kind: g.kind,
          target: g.target,
          durationMinutes: Math.max(15, Math.min(original, cap)),
          extension: true,
        },
      });
      await deps.store.createRequest(request);
      await audit(deps, request, user, 'requested', { details: { grant: request.grant, extends: g.id } });
      await postForApproval(deps, client, request);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'grant extension failed');
      await ephemeral(client, deps.logger, where, failureText(err));
    }
  };
