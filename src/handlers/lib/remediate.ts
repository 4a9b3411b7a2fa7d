import type { WebClient } from '@slack/web-api';
import type { Actor } from '../../core/context.js';
import { deactivateKeys, disableConsole } from '../../core/remediation.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { closeTicket, createJiraClient } from '../../integrations/jira.js';
import type { FindingRef, PendingRequest } from '../../store/types.js';
import { escapeText } from '../../views/escape.js';
import { opsAccount } from './execute.js';

/** Runs an approved remediation through core/, then reports in the digest thread and closes the ticket. */
export async function runRemediation(
  deps: Deps,
  client: WebClient,
  r: PendingRequest & { remediation: NonNullable<PendingRequest['remediation']> },
  who: Actor,
): Promise<string> {
  const { action, finding } = r.remediation;
  const target = { account: opsAccount(finding.account), username: finding.username };
  let what: string;
  if (action === 'disable-keys') {
    const out = await deactivateKeys(
      deps.core,
      { ...target, ...(finding.keyCreatedAt ? { createdAt: finding.keyCreatedAt } : {}) },
      who,
    );
    what = out.changed
      ? `deactivated ${out.plan.length} access key(s) of \`${finding.username}\``
      : `\`${finding.username}\` had no active key to deactivate`;
  } else if (action === 'disable-console') {
    const out = await disableConsole(deps.core, target, who);
    what = out.changed
      ? `disabled console access for \`${finding.username}\``
      : `\`${finding.username}\` had no console access`;
  } else {
    await deps.ops.offboardUser(target, who);
    what = `offboarded \`${finding.username}\``;
  }
  const approvers = r.approvals.map((a) => `<@${a.user}>`).join(', ');
  const line = `${what} in ${escapeText(finding.accountName)} for finding ${finding.id} (${finding.type}); asked by <@${r.requester}>, approved by ${approvers}`;
  await reportToDigest(deps, client, finding, `:white_check_mark: ${line}`);
  const ticket = await closeFindingTicket(
    deps,
    finding,
    `Remediated from the aws-user digest: ${what.replace(/`/g, '')}. Request ${r.id}.`,
  );
  return `${what}${ticket}`;
}

async function reportToDigest(
  deps: Deps,
  client: WebClient,
  finding: FindingRef,
  text: string,
): Promise<void> {
  if (!finding.digest) return;
  await client.chat
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
