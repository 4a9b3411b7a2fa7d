import {
  DAY_MS,
  type Finding,
  type FindingRecord,
  findingsCsv,
  findingsDocument,
  resolvedAfter,
  type ScanResult,
  type ScanRun,
  summarize,
} from '../core/index.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import {
  closeResolvedTickets,
  createJiraClient,
  type JiraClient,
  type JiraConfig,
  syncTickets,
} from '../integrations/jira.js';
import type { FindingRef } from '../store/types.js';
import { type DigestChange, digestMessage, type TicketLink, TOP_FINDINGS } from '../views/digest.js';
import { TREND_RUNS, type TrendChart, trendChartPng } from '../views/trend-chart.js';
import { recordedTrend } from './trend.js';

/**
 * The scheduled SOC 2 digest: scan every account and record the run in the finding history; open Jira
 * tickets for new findings at/above ticket_min_severity and close the tickets of the findings that resolved
 * since the last digest (when Jira is configured); post the summary, with what changed since the last digest,
 * to config.slack.digest_channel; attach the trend chart (PNG, shown inline) and the CSV and JSON reports,
 * which list the resolved findings too, with files.uploadV2. The jobs host runs it once per tick across
 * replicas.
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
  ticketsClosed: number;
  /** Since the last digest; undefined when the history could not be read or written. */
  newFindings: number | undefined;
  resolvedFindings: number | undefined;
  files: string[];
  /** The trend chart's size, when it was rendered. */
  chart: { width: number; height: number; points: number } | undefined;
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
  const previous = await deps.store.history
    .runs({ limit: 1, source: 'digest' })
    .then((r) => r[0])
    .catch(() => undefined);
  const result = await deps.core.scan({ history: { store: deps.store.history, source: 'digest' } });
  const summary = summarize(result.findings);
  const change = await changeSince(deps, result, previous);

  const tickets = new Map<string, TicketLink>();
  const closedTickets = new Map<string, TicketLink>();
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
      const closed = await closeResolvedTickets(jira.client, jira.jira, change?.resolved ?? [], {
        logger: deps.logger,
      });
      for (const t of closed.closed) closedTickets.set(t.findingId, { key: t.key, url: t.url });
      const notClosed = closed.noDoneTransition.length + closed.failed.length;
      ticketNote = `Jira: ${sync.created.length} new ticket(s), ${sync.existing.length} already open${sync.failed.length ? `, ${sync.failed.length} could not be created` : ''} (${deps.config.inactivity.ticket_min_severity} and above); ${closed.closed.length} closed as resolved${notClosed ? `, ${notClosed} could not be closed` : ''}.`;
    }
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err) }, 'digest: Jira sync failed');
    ticketNote = `Jira sync failed: ${errorMessage(err)}`;
  }

  const stamp = result.analysisDate.toISOString().slice(0, 10);
  const chart = await trendChart(deps, result);
  const files = [
    ...(chart ? [`findings-trend-${stamp}.png`] : []),
    `inactive-users-${stamp}.csv`,
    `inactive-users-${stamp}.json`,
  ];
  const message = digestMessage({
    result,
    summary,
    tickets,
    ...(ticketNote ? { ticketNote } : {}),
    files,
    remediation: true,
    ...(deps.config.identity_center ? { identityCenter: true } : {}),
    change: change ? { ...change, closedTickets } : { ...NO_CHANGE, historyError: result.historyError },
  });
  const posted = await deps.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
  await rememberFindings(deps, result.findings.slice(0, TOP_FINDINGS), tickets, channel, posted.ts);
  const resolved = change?.resolved ?? [];
  const doc = findingsDocument(result, deps.config.inactivity.ticket_min_severity, resolved);
  await deps.client.filesUploadV2({
    channel_id: channel,
    initial_comment: `SOC 2 inactive-user report, ${stamp}: ${summary.total_findings} finding(s)${change ? `, ${change.newIds.size} new and ${resolved.length} resolved since the last digest` : ''}`,
    file_uploads: [
      ...(chart
        ? [
            {
              file: chart.png,
              filename: files[0] as string,
              title: `Findings by severity, last ${TREND_RUNS} runs`,
              alt_text: chart.alt,
            },
          ]
        : []),
      {
        file: Buffer.from(findingsCsv(result, resolved)),
        filename: files.at(-2) as string,
        title: `Inactive users ${stamp} (CSV)`,
      },
      {
        file: Buffer.from(JSON.stringify(doc, null, 2)),
        filename: files.at(-1) as string,
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
    details: {
      summary,
      failedAccounts,
      ticketsCreated: created,
      ticketsClosed: closedTickets.size,
      history: change
        ? { run: result.history?.run.id, new: change.newIds.size, resolved: change.resolved.length }
        : { recorded: false, reason: result.historyError },
    },
  });
  return {
    channel,
    ts: posted.ts,
    findings: summary.total_findings,
    failedAccounts,
    ticketsCreated: created,
    ticketsClosed: closedTickets.size,
    newFindings: change?.newIds.size,
    resolvedFindings: change?.resolved.length,
    files,
    chart: chart ? { width: chart.width, height: chart.height, points: chart.points } : undefined,
  };
}

/**
 * Outside the digest (`/aws-user inactive`): the tickets of the findings a scan resolved are closed at once,
 * with how, when Jira is configured. A failure is logged; the next digest closes what is still open.
 */
export async function closeTicketsOfResolved(
  deps: Deps,
  resolved: readonly FindingRecord[],
  jiraFactory: JiraFactory = defaultJira,
): Promise<void> {
  if (resolved.length === 0) return;
  try {
    const jira = jiraFactory(deps);
    if (!jira) return;
    await closeResolvedTickets(jira.client, jira.jira, resolved, { logger: deps.logger });
  } catch (err) {
    deps.logger.warn(
      { err: errorMessage(err) },
      'inactive: could not close the tickets of resolved findings',
    );
  }
}

const NO_CHANGE: DigestChange = { newIds: new Set(), resolved: [], stillOpen: 0 };

/**
 * What changed since the previous digest, from the history the scan just recorded: findings first seen
 * since then, those resolved since then (by this run or by any scan in between, CLI or Slack), and those
 * still open from before. Undefined when the run could not be recorded.
 */
async function changeSince(
  deps: Deps,
  result: ScanResult,
  previous: ScanRun | undefined,
): Promise<DigestChange | undefined> {
  const h = result.history;
  if (!h) return undefined;
  const since = previous?.at;
  const resolved = await resolvedAfter(deps.store.history, result, since).catch((err: unknown) => {
    deps.logger.warn(
      { err: errorMessage(err) },
      'digest: could not read resolved findings; showing this run’s',
    );
    return h.resolved;
  });
  const firstSeen = [...h.firstSeen.values()].sort();
  const newIds = new Set(
    result.findings.filter((f) => !since || (h.firstSeen.get(f.id) ?? '') > since).map((f) => f.id),
  );
  return {
    since,
    newIds,
    resolved,
    stillOpen: result.findings.length - newIds.size,
    oldestFirstSeen: firstSeen[0],
  };
}

/**
 * The trend of the last runs over every account this digest scanned, as a PNG. A chart that cannot be
 * drawn (or a history that cannot be read) costs the digest its picture, never its report.
 */
async function trendChart(
  deps: Deps,
  result: ScanResult,
): Promise<(TrendChart & { points: number }) | undefined> {
  if (!result.history) return undefined;
  try {
    const points = await recordedTrend(
      deps,
      result.accounts.map((a) => a.accountId),
    );
    return { ...(await trendChartPng(points)), points: points.length };
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err) }, 'digest: trend chart not drawn');
    return undefined;
  }
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
