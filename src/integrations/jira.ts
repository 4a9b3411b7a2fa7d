import { Version3Client } from 'jira.js';
import type { Config, Severity } from '../config.js';
import { type Finding, type FindingRecord, resolutionComment, severityAtLeast } from '../core/index.js';
import { ConfigError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Jira tickets for findings at or above inactivity.ticket_min_severity, deduplicated: each ticket carries a
 * label equal to its Finding_ID, and a finding whose label is on an issue not yet Done gets no new ticket.
 * The lookup is batched — one JQL `labels in (…)` per chunk through /rest/api/3/search/jql — so a scan with
 * thousands of findings makes a handful of searches, not one per finding.
 */

export type JiraConfig = NonNullable<Config['jira']>;

/** The small part of jira.js we use, so tests and callers can pass any Version3Client. */
export type JiraClient = Pick<Version3Client, 'issueSearch' | 'issues'>;

export const TICKET_LABELS = ['SOC2', 'InactiveUser', 'Security', 'AccessReview'] as const;
const LABELS_PER_SEARCH = 50;

export function createJiraClient(config: Pick<Config, 'jira' | 'env'>): {
  client: Version3Client;
  jira: JiraConfig;
} {
  const jira = config.jira;
  if (!jira)
    throw new ConfigError('config', [
      'jira: not configured (base_url, project_key) but tickets were requested',
    ]);
  const email = config.env.jiraEmail ?? jira.email;
  const apiToken = config.env.jiraApiToken;
  const missing = [!email && 'jira.email or JIRA_EMAIL', !apiToken && 'JIRA_API_TOKEN'].filter(
    Boolean,
  ) as string[];
  if (!email || !apiToken)
    throw new ConfigError(
      'environment',
      missing.map((m) => `${m}: required to create tickets`),
    );
  return {
    client: new Version3Client({ host: jira.base_url, authentication: { basic: { email, apiToken } } }),
    jira,
  };
}

export interface TicketOutcome {
  findingId: string;
  key: string;
  url: string;
}

export interface TicketSyncResult {
  dryRun: boolean;
  /** Created now (or, with dryRun, that would be created: key is empty). */
  created: TicketOutcome[];
  /** Already had an open ticket. */
  existing: TicketOutcome[];
  /** Below ticket_min_severity. */
  belowSeverity: number;
  failed: { findingId: string; error: string }[];
}

export interface TicketSyncOptions {
  minSeverity: Severity;
  dryRun?: boolean;
  logger?: Logger;
}

function escapeJql(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`);
}

export function browseUrl(jira: JiraConfig, key: string): string {
  return `${jira.base_url.replace(/\/+$/, '')}/browse/${key}`;
}

/** Finding_ID → issue key for every finding id that has an open (not Done) issue. */
export async function findOpenTickets(
  client: JiraClient,
  jira: JiraConfig,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const open = new Map<string, string>();
  const wanted = new Set(ids);
  for (let i = 0; i < ids.length; i += LABELS_PER_SEARCH) {
    const chunk = ids.slice(i, i + LABELS_PER_SEARCH);
    const jql = `project = "${escapeJql(jira.project_key)}" AND labels in (${chunk.map((l) => `"${escapeJql(l)}"`).join(', ')}) AND statusCategory != Done`;
    let nextPageToken: string | undefined;
    do {
      const page = await client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
        jql,
        fields: ['labels', 'status'],
        maxResults: 100,
        nextPageToken,
      });
      for (const issue of page.issues ?? []) {
        for (const label of issue.fields?.labels ?? []) {
          if (wanted.has(label) && !open.has(label)) open.set(label, issue.key);
        }
      }
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken);
  }
  return open;
}

const text = (t: string) => ({ type: 'text', text: t });
const para = (t: string) => ({ type: 'paragraph', content: [text(t)] });

/** Atlassian Document Format: the finding, the user's details and what to do. */
export function ticketDescription(f: Finding) {
  const item = (label: string, value: string) => ({
    type: 'listItem',
    content: [
      {
        type: 'paragraph',
        content: [{ ...text(`${label}: `), marks: [{ type: 'strong' }] }, text(value || '—')],
      },
    ],
  });
  return {
    type: 'doc',
    version: 1,
    content: [
      para(f.details),
      { type: 'heading', attrs: { level: 3 }, content: [text('User')] },
      {
        type: 'bulletList',
        content: [
          item('Account', `${f.accountName} (${f.accountId})`),
          item('Username', f.userName),
          item('ARN', f.userArn),
          item('Email', f.email),
          item('Department', f.department),
          item('Manager', f.manager),
          item('Created', f.createdDate),
          item('Last console login', f.lastLogin),
          item('MFA enabled', f.mfaEnabled ? 'yes' : 'no'),
          ...(f.key ? [item('Access key', `${f.key.slot} created ${f.key.createdAt}`)] : []),
        ],
      },
      { type: 'heading', attrs: { level: 3 }, content: [text('Remediation')] },
      para(f.remediation),
      para(`Finding ${f.id} · ${f.type} · ${f.severity} · SOC 2 ${f.controls.join(', ')}`),
    ],
  };
}

const PRIORITY: Record<Severity, string> = { HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low' };

export function ticketFields(f: Finding, jira: JiraConfig) {
  return {
    project: { key: jira.project_key },
    issuetype: { name: jira.issue_type },
    summary:
      `[${f.severity}] ${f.type.replaceAll('_', ' ').toLowerCase()}: ${f.userName} in ${f.accountName} (${f.accountId})`.slice(
        0,
        250,
      ),
    description: ticketDescription(f),
    priority: { name: PRIORITY[f.severity] },
    labels: [...TICKET_LABELS, ...f.controls.map((c) => c.replace(/\s+/g, '-')), f.id],
  };
}

export async function syncTickets(
  client: JiraClient,
  jira: JiraConfig,
  findings: readonly Finding[],
  opts: TicketSyncOptions,
): Promise<TicketSyncResult> {
  const eligible = findings.filter((f) => severityAtLeast(f.severity, opts.minSeverity));
  const result: TicketSyncResult = {
    dryRun: Boolean(opts.dryRun),
    created: [],
    existing: [],
    belowSeverity: findings.length - eligible.length,
    failed: [],
  };
  if (eligible.length === 0) return result;
  const open = await findOpenTickets(
    client,
    jira,
    eligible.map((f) => f.id),
  );
  for (const f of eligible) {
    const key = open.get(f.id);
    if (key) {
      result.existing.push({ findingId: f.id, key, url: browseUrl(jira, key) });
      continue;
    }
    if (opts.dryRun) {
      result.created.push({ findingId: f.id, key: '', url: '' });
      continue;
    }
    try {
      const created = await client.issues.createIssue({ fields: ticketFields(f, jira) });
      result.created.push({ findingId: f.id, key: created.key, url: browseUrl(jira, created.key) });
    } catch (err) {
      opts.logger?.warn({ finding: f.id, err: errorMessage(err) }, 'jira: could not create ticket');
      result.failed.push({ findingId: f.id, error: errorMessage(err) });
    }
  }
  return result;
}

export interface TicketCloseResult {
  dryRun: boolean;
  /** Commented and moved to Done (with dryRun: that would be). */
  closed: TicketOutcome[];
  /** The workflow offers no transition into Done from the ticket's status: commented nowhere, left open. */
  noDoneTransition: TicketOutcome[];
  failed: { findingId: string; key?: string; error: string }[];
}

/**
 * The open tickets of findings that resolved, each closed with a comment saying how (resolutionComment): one batched label
 * search (as syncTickets does), then closeTicket per ticket. A finding with no open ticket (below the
 * severity, or already Done) needs nothing.
 */
export async function closeResolvedTickets(
  client: JiraClient,
  jira: JiraConfig,
  resolved: readonly FindingRecord[],
  opts: { logger?: Logger; dryRun?: boolean } = {},
): Promise<TicketCloseResult> {
  const result: TicketCloseResult = {
    dryRun: Boolean(opts.dryRun),
    closed: [],
    noDoneTransition: [],
    failed: [],
  };
  if (resolved.length === 0) return result;
  const open = await findOpenTickets(
    client,
    jira,
    resolved.map((r) => r.finding.id),
  );
  for (const r of resolved) {
    const findingId = r.finding.id;
    const key = open.get(findingId);
    if (!key) continue;
    const outcome = { findingId, key, url: browseUrl(jira, key) };
    if (opts.dryRun) {
      result.closed.push(outcome);
      continue;
    }
    try {
      if ((await closeTicket(client, key, resolutionComment(r))) === 'closed') result.closed.push(outcome);
      else result.noDoneTransition.push(outcome);
    } catch (err) {
      opts.logger?.warn({ finding: findingId, key, err: errorMessage(err) }, 'jira: could not close ticket');
      result.failed.push({ findingId, key, error: errorMessage(err) });
    }
  }
  return result;
}

export type CloseOutcome = 'closed' | 'no-done-transition';

/**
 * Closes a finding's ticket once it has been remediated: the first transition into the Done status
 * category, with the comment added in the same request (so a ticket never closes without its reason).
 */
export async function closeTicket(client: JiraClient, key: string, comment: string): Promise<CloseOutcome> {
  const { transitions } = await client.issues.getTransitions({ issueIdOrKey: key });
  const done = transitions?.find((t) => t.to?.statusCategory?.key === 'done');
  if (!done?.id) return 'no-done-transition';
  await client.issues.doTransition({
    issueIdOrKey: key,
    transition: { id: done.id },
    update: {
      comment: [
        {
          add: {
            body: {
              type: 'doc',
              version: 1,
              content: [{ type: 'paragraph', content: [{ type: 'text', text: comment }] }],
            },
          },
        },
      ],
    },
  });
  return 'closed';
}

/** A closed access-review campaign's one ticket: the auditor's pointer to the report. */
export interface CampaignTicket {
  campaignId: string;
  summary: string;
  /** One paragraph each: the outcome, where the report is. */
  paragraphs: readonly string[];
}

/**
 * Files the campaign's ticket, labelled with the campaign id, unless an open one already carries that label
 * (a close resumed after a crash files no second ticket).
 */
export async function createCampaignTicket(
  client: JiraClient,
  jira: JiraConfig,
  t: CampaignTicket,
): Promise<{ key: string; url: string; existed: boolean }> {
  const existing = (await findOpenTickets(client, jira, [t.campaignId])).get(t.campaignId);
  if (existing) return { key: existing, url: browseUrl(jira, existing), existed: true };
  const created = await client.issues.createIssue({
    fields: {
      project: { key: jira.project_key },
      issuetype: { name: jira.issue_type },
      summary: t.summary.slice(0, 250),
      description: { type: 'doc', version: 1, content: t.paragraphs.map(para) },
      labels: ['SOC2', 'AccessReview', t.campaignId],
    },
  });
  return { key: created.key, url: browseUrl(jira, created.key), existed: false };
}
