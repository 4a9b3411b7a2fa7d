import { Readable } from 'node:stream';
import { stringify as stringifyStream } from 'csv-stringify';
import { stringify } from 'csv-stringify/sync';
import type { Severity } from '../../config.js';
import { defuseFormula } from '../csv.js';
import { textTable } from '../text-table.js';
import { type FindingRecord, resolutionText } from './history.js';
import { DEFAULT_SEVERITIES, DEFAULT_SOC2_CONTROLS, FINDING_TYPES, type Finding } from './inactivity.js';
import { formatAge, type ScanResult, staleNote, unreadableText } from './scan.js';

/**
 * The SOC 2 inactive-user report in the seed's formats: a CSV with its exact 15 columns and a JSON document.
 * Both carry the credential report's GeneratedTime (the CSV inside Details, since its columns are fixed).
 * With finding history, `resolved` findings follow the open ones with Status RESOLVED (the CSV says when
 * and why inside Details; the JSON in its own fields), and the JSON says when each finding was first seen.
 */

export const CSV_COLUMNS = [
  'Finding_ID',
  'Account',
  'Username',
  'Email',
  'Finding_Type',
  'Severity',
  'Details',
  'SOC2_Control',
  'Remediation',
  'Department',
  'Manager',
  'Created_Date',
  'Last_Login',
  'MFA_Enabled',
  'Status',
] as const;

/** One finding's cells, each defused (csv-stringify quotes; a spreadsheet must not run a name as a formula). */
function csvRow(f: Finding, generated: ReadonlyMap<string, string>, r?: FindingRecord): string[] {
  const resolved = r?.resolvedAt ? ` [RESOLVED ${r.resolvedAt}: ${resolutionText(r)}]` : '';
  const cells = [
    f.id,
    f.accountId,
    f.userName,
    f.email,
    f.type,
    f.severity,
    `${f.details} [credential report generated ${generated.get(f.accountId) ?? 'in an earlier scan'}]${resolved}`,
    f.controls.join('; '),
    f.remediation,
    f.department,
    f.manager,
    f.createdDate,
    f.lastLogin,
    f.mfaEnabled ? 'true' : 'false',
    f.status,
  ];
  return cells.map(defuseFormula);
}

function generatedTimes(result: ScanResult): Map<string, string> {
  return new Map(result.accounts.map((a) => [a.accountId, a.generatedAt?.toISOString() ?? 'unknown']));
}

/** Resolved findings to list after the open ones (`aws-user scan --include-resolved`, the digest). */
export type ResolvedRows = readonly FindingRecord[];

export function findingsCsv(result: ScanResult, resolved: ResolvedRows = []): string {
  const generated = generatedTimes(result);
  return stringify(
    [
      ...result.findings.map((f) => csvRow(f, generated)),
      ...resolved.map((r) => csvRow(r.finding, generated, r)),
    ],
    { header: true, columns: [...CSV_COLUMNS] },
  );
}

/** The same CSV as a stream, row by row, so a 100k-finding report never exists as one string. */
export function findingsCsvStream(result: ScanResult, resolved: ResolvedRows = []): Readable {
  const generated = generatedTimes(result);
  const rows = Readable.from(
    (function* () {
      for (const f of result.findings) yield csvRow(f, generated);
      for (const r of resolved) yield csvRow(r.finding, generated, r);
    })(),
  );
  return rows.pipe(stringifyStream({ header: true, columns: [...CSV_COLUMNS] }));
}

export interface Summary {
  total_findings: number;
  high_severity: number;
  medium_severity: number;
  low_severity: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return {
    total_findings: findings.length,
    high_severity: count('HIGH'),
    medium_severity: count('MEDIUM'),
    low_severity: count('LOW'),
  };
}

/** One finding in the JSON; with history, when it was first seen and, once resolved, when and why. */
export function findingJson(f: Finding, life?: { firstSeen?: string | undefined; record?: FindingRecord }) {
  const r = life?.record;
  return {
    finding_id: f.id,
    account_id: f.accountId,
    account_name: f.accountName,
    username: f.userName,
    user_arn: f.userArn,
    email: f.email,
    finding_type: f.type,
    severity: f.severity,
    details: f.details,
    soc2_controls: f.controls,
    remediation: f.remediation,
    key_slot: f.key?.slot ?? null,
    key_created: f.key?.createdAt ?? null,
    days_inactive: f.daysInactive,
    department: f.department,
    manager: f.manager,
    created_date: f.createdDate,
    last_login: f.lastLogin,
    mfa_enabled: f.mfaEnabled,
    status: f.status,
    ...(life
      ? {
          first_seen: r?.firstSeen ?? life.firstSeen ?? null,
          ...(r
            ? { last_seen: r.lastSeen, resolved_at: r.resolvedAt ?? null, resolution: r.resolution ?? null }
            : {}),
        }
      : {}),
  };
}

/** What the JSON says about the finding history: this run, the one before it, and what changed. */
function historyJson(result: ScanResult, resolved: ResolvedRows) {
  const h = result.history;
  if (!h) return { recorded: false, reason: result.historyError ?? 'not recorded for this scan' };
  return {
    recorded: true,
    run_id: h.run.id,
    previous_run: h.previous ? { id: h.previous.id, at: h.previous.at, source: h.previous.source } : null,
    new_findings: h.opened.size,
    resolved_findings: h.resolved.length,
    resolved_listed: resolved.length,
  };
}

function jsonRows(result: ScanResult, resolved: ResolvedRows) {
  const firstSeen = result.history?.firstSeen;
  const life = (f: Finding) => (firstSeen ? { firstSeen: firstSeen.get(f.id) } : undefined);
  return {
    open: (f: Finding) => findingJson(f, life(f)),
    resolved: resolved.map((r) => findingJson(r.finding, { record: r })),
  };
}

export function findingsDocument(
  result: ScanResult,
  ticketMinSeverity: Severity,
  resolved: ResolvedRows = [],
) {
  const now = result.analysisDate.getTime();
  const rows = jsonRows(result, resolved);
  const ok = result.accounts.filter((a) => a.ok);
  return {
    analysis_date: result.analysisDate.toISOString(),
    report_generated_at: Object.fromEntries(
      ok.map((a) => [a.accountId, a.generatedAt?.toISOString() ?? null]),
    ),
    accounts_analyzed: ok.map((a) => ({
      id: a.accountId,
      name: a.accountName,
      region: a.region,
      users: a.userCount,
      findings: a.findings.length,
      report_generated_at: a.generatedAt?.toISOString() ?? null,
      report_age: a.generatedAt ? formatAge(now - a.generatedAt.getTime()) : null,
      report_stale: staleNote(a.generatedAt, result.analysisDate) !== '',
      unreadable_rows: a.unreadableRows ?? [],
    })),
    accounts_failed: result.accounts
      .filter((a) => !a.ok)
      .map((a) => ({ id: a.accountId, name: a.accountName, region: a.region, error: a.error })),
    configuration: {
      console_days: result.settings.console_days,
      access_key_days: result.settings.access_key_days,
      severities: Object.fromEntries(
        FINDING_TYPES.map((t) => [t, result.settings.severities[t] ?? DEFAULT_SEVERITIES[t]]),
      ),
      soc2_controls: Object.fromEntries(
        FINDING_TYPES.map((t) => [t, result.settings.soc2_controls[t] ?? [...DEFAULT_SOC2_CONTROLS]]),
      ),
      ticket_min_severity: ticketMinSeverity,
    },
    summary: summarize(result.findings),
    history: historyJson(result, resolved),
    findings: [...result.findings.map(rows.open), ...rows.resolved],
  };
}

/** The JSON document as a stream: the envelope once, then one finding at a time. */
export function findingsJsonStream(
  result: ScanResult,
  ticketMinSeverity: Severity,
  resolved: ResolvedRows = [],
): Readable {
  const { findings: _omit, ...envelope } = findingsDocument({ ...result, findings: [] }, ticketMinSeverity);
  const head = JSON.stringify(
    { ...envelope, summary: summarize(result.findings), history: historyJson(result, resolved) },
    null,
    2,
  );
  const rows = jsonRows(result, resolved);
  return Readable.from(
    (function* () {
      yield `${head.slice(0, -2)},\n  "findings": [`;
      let n = 0;
      for (const f of result.findings) yield `${n++ ? ',' : ''}\n    ${JSON.stringify(rows.open(f))}`;
      for (const r of rows.resolved) yield `${n++ ? ',' : ''}\n    ${JSON.stringify(r)}`;
      yield n ? '\n  ]\n}\n' : ']\n}\n';
    })(),
  );
}

/** The human summary the CLI prints: counts, then a table of accounts (report ages, failures) and one of findings. */
export function findingsText(result: ScanResult, limit = 20): string {
  const now = result.analysisDate.getTime();
  const s = summarize(result.findings);
  const lines = [
    `Inactive-user scan at ${result.analysisDate.toISOString()}: ${s.total_findings} finding(s) — ${s.high_severity} HIGH, ${s.medium_severity} MEDIUM, ${s.low_severity} LOW`,
    '',
    ...textTable(
      ['Account', 'Id', 'Users', 'Findings', 'Report generated', 'Report age', 'Status'],
      result.accounts.map((a) =>
        a.ok
          ? [
              a.accountName,
              a.accountId,
              a.userCount,
              a.findings.length,
              a.generatedAt?.toISOString() ?? '?',
              a.generatedAt ? formatAge(now - a.generatedAt.getTime()) : 'unknown',
              // staleNote is worded for the end of a sentence; a cell of its own needs no parentheses.
              staleNote(a.generatedAt, result.analysisDate).trim().slice(1, -1) || 'ok',
            ]
          : [a.accountName, a.accountId, '', '', '', '', `FAILED — ${a.error?.message ?? 'unknown error'}`],
      ),
      { indent: 2, lastMaxWidth: 200 },
    ),
  ];
  for (const a of result.accounts) {
    const unreadable = a.unreadableRows ?? [];
    if (unreadable.length === 0) continue;
    lines.push(
      '',
      `  ${a.accountName} (${a.accountId}) UNREADABLE: ${unreadable.length} credential report row(s) could not be read; those users were not checked:`,
      ...unreadable.slice(0, limit).map((u) => `    ${unreadableText(u)}`),
      ...(unreadable.length > limit ? [`    … and ${unreadable.length - limit} more (see the JSON)`] : []),
    );
  }
  if (result.findings.length > 0)
    lines.push(
      '',
      ...textTable(
        ['Severity', 'Account', 'User', 'Type', 'Finding', 'Details'],
        result.findings
          .slice(0, limit)
          .map((f) => [f.severity, f.accountName, f.userName, f.type, f.id, f.details]),
        { indent: 2, lastMaxWidth: 200 },
      ),
    );
  if (result.findings.length > limit)
    lines.push(`  … and ${result.findings.length - limit} more (see the CSV/JSON)`);
  return `${lines.join('\n')}\n`;
}

/**
 * The finding-history lines under the scan's text: what this run changed, and with `resolved` the findings
 * that resolved since the previous run, each with why.
 */
export function historyText(result: ScanResult, resolved: ResolvedRows | undefined, limit = 20): string {
  const h = result.history;
  if (!h) return `History: not recorded (${result.historyError ?? 'not recorded for this scan'})\n`;
  const since = h.previous ? `the previous run (${h.previous.at}, ${h.previous.source})` : 'no earlier run';
  const lines = [
    '',
    `History: ${h.opened.size} new, ${h.resolved.length} resolved since ${since}${resolved ? '' : h.resolved.length ? '; list them with --include-resolved' : ''}`,
  ];
  if (resolved?.length)
    lines.push(
      '',
      ...textTable(
        ['Severity', 'Account', 'User', 'Type', 'Finding', 'Resolved', 'Why'],
        resolved
          .slice(0, limit)
          .map((r) => [
            r.finding.severity,
            r.finding.accountName,
            r.finding.userName,
            r.finding.type,
            r.finding.id,
            r.resolvedAt ?? '',
            resolutionText(r),
          ]),
        { indent: 2, lastMaxWidth: 200 },
      ),
    );
  if (resolved && resolved.length > limit)
    lines.push(`  … and ${resolved.length - limit} more (see the CSV/JSON)`);
  return `${lines.join('\n')}\n`;
}
