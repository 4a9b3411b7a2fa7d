import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppDeps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import type { RemediationAction } from '../../store/types.js';
import { REMEDIATION_LABEL } from '../../views/digest.js';
import { audit } from '../lib/execute.js';
import { newRequest } from '../lib/new-request.js';
import { postForApproval } from '../lib/post-approval.js';
import { ephemeral, failureText } from '../lib/reply.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * A remediation button on a digest finding. It never acts: it files an approval request (offboarding for
 * admins only), and the approved request runs through core/ like any other. The clicker, being the
 * requester, cannot approve it themselves.
 */
export const remediateAction =
  (deps: AppDeps, action: RemediationAction) =>
  async ({ ack, body, action: button, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const user = body.user.id;
    const where = { channel: body.channel?.id, user };
    try {
      if (!(await deps.roles.isApprover(user))) {
        return ephemeral(
          client,
          deps.logger,
          where,
          'Only approvers and admins can ask for a remediation from the digest.',
        );
      }
      const finding = await deps.store.getFindingRef(button.value ?? '');
      if (!finding) {
        return ephemeral(
          client,
          deps.logger,
          where,
          'This digest is no longer actionable; run `/aws-user inactive` for current findings.',
        );
      }
      const request = newRequest(deps, {
        kind: 'remediate',
        requester: user,
        target: { username: finding.username },
        account: finding.account,
        justification: `Access review: ${finding.type} (finding ${finding.id})${finding.jiraKey ? `, Jira ${finding.jiraKey}` : ''}`,
        extraGroups: [],
        approvalsNeeded: 1,
        adminOnly: action === 'offboard',
        remediation: { action, finding },
      });
      await deps.store.createRequest(request);
      await audit(deps, request, user, 'requested', {
        details: { remediation: action, findingId: finding.id },
      });
      await postForApproval(deps, client, request);
      if (finding.digest) {
        await client.chat
          .postMessage({
            channel: finding.digest.channel,
            thread_ts: finding.digest.ts,
            text: `<@${user}> asked to ${REMEDIATION_LABEL[action].toLowerCase()} for \`${finding.username}\`; waiting for ${action === 'offboard' ? 'an admin' : 'an approver'} (request \`${request.id}\`).`,
          })
          .catch(() => undefined);
      }
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, 'remediation request failed');
      await ephemeral(client, deps.logger, where, failureText(err));
    }
  };
