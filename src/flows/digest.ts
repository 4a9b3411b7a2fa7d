import { DAY_MS, type Finding, findingsCsv, findingsDocument, summarize } from '../core/index.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { createJiraClient, type JiraClient, type JiraConfig, syncTickets } from '../integrations/jira.js';
import type { FindingRef } from '../store/types.js';
import { digestMessage, type TicketLink, TOP_FINDINGS } from '../views/digest.js';

/**
 * The scheduled SOC 2 digest: scan every account, open Jira tickets for new findings at/above
 * ticket_min_severity (when Jira is configured), post the summary to config.slack.digest_channel and attach
 * the CSV and JSON reports with files.uploadV2. The jobs host runs it once per tick across replicas.
 */

export type JiraFactory = (deps: Deps) => { client: JiraClient; jira: JiraConfig } | undefined;

/** Jira when configured with a token; otherwise the digest goes out without tickets. */
export const defaultJira: JiraFactory = (deps) =>
  deps.config.jira && deps.config.env.jiraApiToken ? createJiraClient(deps.config) : undefined;

export interface DigestOutcome {
  channel: string;
  ts: string | undefined;
  findings: number;
  failedAccounts: number;
  ticketsCreated: number;
  files: string[];
}

export async function runDigest(
  deps: Deps,
  jiraFactory: JiraFactory = defaultJira,
): Promise<DigestOutcome | undefined> {
  const channel = deps.config.slack.digest_channel;
  if (!channel) {
    deps.logger.warn('digest: slack.digest_channel is not set; nothing posted');
    return undefined;
  }
  const result = await deps.core.scan();
  const summary = summarize(result.findings);

  const tickets = new Map<string, TicketLink>();
  let ticketNote: string | undefined;
  let created = 0;
  try {
    const jira = jiraFactory(deps);
    if (jira) {
      const sync = await syncTickets(jira.client, jira.jira, result.findings, {
        minSeverity: deps.config.inactivity.ticket_min_severity,
        logger: deps.logger,
      });
      for (const t of [...sync.created, ...sync.existing])
        tickets.set(t.findingId, { key: t.key, url: t.url });
      created = sync.created.length;
      ticketNote = `Jira: ${sync.created.length} new ticket(s), ${sync.existing.length} already open${sync.failed.length ? `, ${sync.failed.length} could not be created` : ''} (${deps.config.inactivity.ticket_min_severity} and above).`;
    }
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err) }, 'digest: Jira sync failed');
    ticketNote = `Jira sync failed: ${errorMessage(err)}`;
  }

  const stamp = result.analysisDate.toISOString().slice(0, 10);
  const files = [`inactive-users-${stamp}.csv`, `inactive-users-${stamp}.json`];
  const message = digestMessage({
    result,
    summary,
    tickets,
    ...(ticketNote ? { ticketNote } : {}),
    files,
    remediation: true,
  });
  const posted = await deps.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
  await rememberFindings(deps, result.findings.slice(0, TOP_FINDINGS), tickets, channel, posted.ts);
  const doc = findingsDocument(result, deps.config.inactivity.ticket_min_severity);
  await deps.client.filesUploadV2({
    channel_id: channel,
    initial_comment: `SOC 2 inactive-user report, ${stamp}: ${summary.total_findings} finding(s)`,
    file_uploads: [
      {
        file: Buffer.from(findingsCsv(result)),
        filename: files[0] as string,
        title: `Inactive users ${stamp} (CSV)`,
      },
      {
        file: Buffer.from(JSON.stringify(doc, null, 2)),
        filename: files[1] as string,
        title: `Inactive users ${stamp} (JSON)`,
      },
    ],
  });

  const failedAccounts = result.accounts.filter((a) => !a.ok).length;
  await deps.core.audit({
    actor: 'system:inactive-digest',
    action: 'digest',
    account: result.accounts.map((a) => a.accountId).join(','),
    target: channel,
    outcome: failedAccounts ? 'failure' : 'success',
    requestId: `digest-${result.analysisDate.getTime()}`,
    details: { summary, failedAccounts, ticketsCreated: created },
  });
  return {
    channel,
    ts: posted.ts,
    findings: summary.total_findings,
    failedAccounts,
    ticketsCreated: created,
    files,
  };
}

/** The digest stays actionable until the next monthly one (and a little after). */
export const FINDING_REF_TTL_MS = 35 * DAY_MS;

/** Remembers what each remediation button refers to, so its value can be just the finding id. */
async function rememberFindings(
  deps: Deps,
  shown: Finding[],
  tickets: ReadonlyMap<string, TicketLink>,
  channel: string,
  ts: string | undefined,
): Promise<void> {
  const refs: FindingRef[] = shown.map((f) => ({
    id: f.id,
    account: f.accountId,
    accountName: f.accountName,
    username: f.userName,
    type: f.type,
    ...(f.key ? { keyCreatedAt: f.key.createdAt } : {}),
    ...(ts ? { digest: { channel, ts } } : {}),
    ...(tickets.get(f.id) ? { jiraKey: tickets.get(f.id)?.key } : {}),
  }));
  await deps.store.putFindingRefs(refs, FINDING_REF_TTL_MS).catch((err: unknown) => {
    deps.logger.warn(
      { err: errorMessage(err) },
      'digest: could not store finding references; its buttons will say so',
    );
  });
}
