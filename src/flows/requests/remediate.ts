import type { Actor } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { closeTicket, createJiraClient } from '../../integrations/jira.js';
import type { FindingRef, PendingRequest, RemediationAction } from '../../store/types.js';
import { REMEDIATION_LABEL } from '../../views/digest.js';
import { escapeText } from '../../views/escape.js';
import { fileRequest, newRequest } from './file.js';

/** Runs an approved remediation through core/, then reports in the digest thread and closes the ticket. */
export async function runRemediation(deps: Deps, r: PendingRequest, who: Actor): Promise<string> {
  if (!r.remediation) throw new Error(`request ${r.id} is a remediation without a finding`);
  const { action, finding } = r.remediation;
  const target = { account: finding.account, username: finding.username };
  let what: string;
  if (action === 'disable-keys') {
    const out = await deps.core.deactivateKeys(
      { ...target, ...(finding.keyCreatedAt ? { createdAt: finding.keyCreatedAt } : {}) },
      who,
    );
    what = out.changed
      ? `deactivated ${out.plan.length} access key(s) of \`${finding.username}\``
      : `\`${finding.username}\` had no active key to deactivate`;
  } else if (action === 'disable-console') {
    const out = await deps.core.disableConsole(target, who);
    what = out.changed
      ? `disabled console access for \`${finding.username}\``
      : `\`${finding.username}\` had no console access`;
  } else {
    await deps.core.offboardUser(target, who);
    what = `offboarded \`${finding.username}\``;
  }
  const approvers = r.approvals.map((a) => `<@${a.user}>`).join(', ');
  const line = `${what} in ${escapeText(finding.accountName)} for finding ${finding.id} (${finding.type}); asked by <@${r.requester}>, approved by ${approvers}`;
  await reportToDigest(deps, finding, `:white_check_mark: ${line}`);
  const ticket = await closeFindingTicket(
    deps,
    finding,
    `Remediated from the aws-user digest: ${what.replace(/`/g, '')}. Request ${r.id}.`,
  );
  return `${what}${ticket}`;
}

async function reportToDigest(deps: Deps, finding: FindingRef, text: string): Promise<void> {
  if (!finding.digest) return;
  await deps.client.chat
    .postMessage({ channel: finding.digest.channel, thread_ts: finding.digest.ts, text })
    .catch((err: unknown) =>
      deps.logger.warn({ err: errorMessage(err) }, 'remediation: digest thread reply failed'),
    );
}

async function closeFindingTicket(deps: Deps, finding: FindingRef, comment: string): Promise<string> {
  if (!finding.jiraKey || !deps.config.jira || !deps.config.env.jiraApiToken) return '';
  try {
    const { client } = createJiraClient(deps.config);
    const out = await closeTicket(client, finding.jiraKey, comment);
    return out === 'closed'
      ? `; Jira ${finding.jiraKey} closed`
      : `; Jira ${finding.jiraKey} has no Done transition, left open`;
  } catch (err) {
    deps.logger.warn(
      { err: errorMessage(err), ticket: finding.jiraKey },
      'remediation: could not close the Jira ticket',
    );
    return `; Jira ${finding.jiraKey} could NOT be closed (${errorMessage(err)})`;
  }
}

/**
 * A remediation button on a digest finding never acts: it files an approval request (offboarding for
 * admins only), and the approved request runs like any other. The clicker, being the requester, cannot
 * approve it. The finding comes from the store by id, never from the payload. Returns the reply, if any.
 */
export async function fileRemediation(
  deps: Deps,
  user: string,
  action: RemediationAction,
  findingId: string,
): Promise<string | undefined> {
  if (!(await deps.roles.isApprover(user)))
    return 'Only approvers and admins can ask for a remediation from the digest.';
  const finding = await deps.store.getFindingRef(findingId);
  if (!finding) return 'This digest is no longer actionable; run `/aws-user inactive` for current findings.';
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
  await fileRequest(deps, request, { remediation: action, findingId: finding.id });
  if (finding.digest) {
    await deps.client.chat
      .postMessage({
        channel: finding.digest.channel,
        thread_ts: finding.digest.ts,
        text: `<@${user}> asked to ${REMEDIATION_LABEL[action].toLowerCase()} for \`${finding.username}\`; waiting for ${action === 'offboard' ? 'an admin' : 'an approver'} (request \`${request.id}\`).`,
      })
      .catch(() => undefined);
  }
  return undefined;
}
