import type { WebClient } from '@slack/web-api';
import { grantAccess } from '../../access/grants.js';
import type { AuditOutcome } from '../../core/audit.js';
import type { Deps } from '../../deps.js';
import { errorMessage, StepFailedError } from '../../errors.js';
import type { PendingRequest } from '../../store/types.js';
import { approvalMessage } from '../../views/approval.js';
import { passwordSecretMessage } from '../../views/messages.js';
import { notify, resolveOwner, sendSecretDm } from './dm.js';
import { runRemediation } from './remediate.js';

/** PendingRequest.account is 'home' when no accounts are configured; core takes undefined for that. */
export function opsAccount(account: string): string | undefined {
  return account === 'home' ? undefined : account;
}

export async function audit(
  deps: Deps,
  r: PendingRequest,
  actor: string,
  outcome: AuditOutcome,
  extra: { error?: string; details?: Record<string, unknown> } = {},
): Promise<void> {
  try {
    await deps.core.auditor.record({
      actor,
      action: `request.${r.kind}`,
      account: r.account,
      target: r.target.username,
      outcome,
      requestId: r.id,
      ...extra,
    });
  } catch (err) {
    // The trail must not block the flow; the log line keeps the gap visible.
    deps.logger.error({ err: errorMessage(err), request: r.id }, 'audit append failed');
  }
}

export async function updateApprovalMessage(
  client: WebClient,
  deps: Deps,
  r: PendingRequest,
  progress?: string,
): Promise<void> {
  if (!r.message) return;
  try {
    await client.chat.update({
      channel: r.message.channel,
      ts: r.message.ts,
      ...approvalMessage(r, progress),
    });
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err), request: r.id }, 'chat.update of approval message failed');
  }
}

const PROGRESS: Record<PendingRequest['kind'], string> = {
  create: 'creating the IAM user',
  offboard: 'offboarding',
  grant: 'granting access',
  remediate: 'remediating',
};

/** Only StepFailedError carries a step; anything else is reported by message (which never holds a secret). */
function failureLine(err: unknown): string {
  if (err instanceof StepFailedError) {
    const undone =
      err.rolledBack.length > 0 ? `rolled back: ${err.rolledBack.join(', ')}` : 'nothing to roll back';
    const left =
      err.rollbackFailures.length > 0 ? `; could NOT roll back: ${err.rollbackFailures.join(', ')}` : '';
    return `step "${err.step}" failed (${errorMessage(err.cause)}); ${undone}${left}`;
  }
  return errorMessage(err);
}

/**
 * Runs a request this replica won (status approving): through core/, then the message, the owner's DM and
 * the requester. Never throws: every failure ends as a `failed` request with the step that broke.
 */
export async function executeRequest(deps: Deps, client: WebClient, r: PendingRequest): Promise<void> {
  const approver = r.decidedBy ?? 'unknown';
  const who = { actor: approver, requestId: r.id };
  const log = deps.logger.child({ request: r.id });
  await audit(deps, r, approver, 'approved', { details: { approvers: r.approvals.map((a) => a.user) } });
  await updateApprovalMessage(client, deps, r, PROGRESS[r.kind]);

  let outcome: string;
  let secretNote = '';
  try {
    if (r.kind === 'create') {
      const ownerSlackId = await resolveOwner(client, r.target).catch(() => undefined);
      const result = await deps.ops.createUser(
        {
          username: r.target.username,
          email: r.target.email ?? '',
          ...(ownerSlackId ? { slackUserId: ownerSlackId } : {}),
          account: opsAccount(r.account),
          template: r.template ?? '',
          extraGroups: r.extraGroups,
        },
        who,
      );
      if (r.durationHours && result.status === 'created') {
        const endsAt = new Date(deps.clock.now().getTime() + r.durationHours * 3_600_000).toISOString();
        await deps.store.putTemporaryUser({
          id: r.id,
          account: r.account,
          username: result.username,
          ...(ownerSlackId ? { owner: ownerSlackId } : {}),
          requester: r.requester,
          endsAt,
        });
        secretNote += `; temporary: access is removed at ${endsAt}`;
      }
      outcome =
        result.status === 'unchanged'
          ? `\`${result.username}\` already existed as requested; nothing changed`
          : `created \`${result.username}\`${result.arn ? ` (${result.arn})` : ''}`;
      if (result.password) {
        if (ownerSlackId) {
          try {
            await sendSecretDm(
              client,
              ownerSlackId,
              passwordSecretMessage({
                username: result.username,
                account: result.account,
                password: result.password,
                ...(deps.config.slack.sign_in_url ? { signInUrl: deps.config.slack.sign_in_url } : {}),
              }),
            );
            secretNote += `; initial password sent to <@${ownerSlackId}> by DM`;
          } catch (err) {
            log.error({ err: errorMessage(err) }, 'could not DM the initial password');
            secretNote += '; the initial password could NOT be delivered by DM: reset it for the owner';
          }
        } else {
          secretNote +=
            '; no Slack user found for the owner, so the initial password was not delivered: reset it';
        }
      }
    } else if (r.kind === 'remediate' && r.remediation) {
      outcome = await runRemediation(deps, client, { ...r, remediation: r.remediation }, who);
    } else if (r.kind === 'grant' && r.grant) {
      const { grant, extended } = await grantAccess(
        { ...deps, client },
        {
          requester: r.requester,
          ...(r.target.slackUserId ? { ownerSlackId: r.target.slackUserId } : {}),
          account: r.account,
          username: r.target.username,
          template: r.template ?? '',
          kind: r.grant.kind,
          target: r.grant.target,
          durationMinutes: r.grant.durationMinutes,
          reason: r.justification,
          approvers: r.approvals.map((a) => a.user),
          breakGlass: false,
        },
      );
      outcome = `${extended ? 'extended' : 'granted'} ${r.grant.kind} ${r.grant.target} to \`${r.target.username}\` until ${grant.expiresAt}`;
    } else {
      await deps.ops.offboardUser({ account: opsAccount(r.account), username: r.target.username }, who);
      outcome = `offboarded \`${r.target.username}\``;
    }
  } catch (err) {
    const line = failureLine(err);
    log.warn({ err: line }, 'request execution failed');
    const now = deps.clock.now();
    await deps.store.finish(r.id, 'failed', line, now).catch(() => false);
    const failed: PendingRequest = { ...r, status: 'failed', outcome: line };
    await audit(deps, r, approver, 'failure', { error: line });
    await updateApprovalMessage(client, deps, failed);
    await notify(
      client,
      r.requester,
      `Your request \`${r.id}\` for \`${r.target.username}\` failed: ${line}`,
    ).catch(() => undefined);
    return;
  }
  const line = `${outcome}${secretNote}`;
  await deps.store.finish(r.id, 'done', line, deps.clock.now()).catch((err) => {
    log.error({ err: errorMessage(err) }, 'could not record the outcome in the store');
    return false;
  });
  await audit(deps, r, approver, 'success');
  await updateApprovalMessage(client, deps, { ...r, status: 'done', outcome: line });
  await notify(client, r.requester, `Your request \`${r.id}\` is done: ${line}`).catch(() => undefined);
}
