import { Readable } from 'node:stream';
import { stringify as stringifyStream } from 'csv-stringify';
import { stringify } from 'csv-stringify/sync';
import type { Severity } from '../../config.js';
import { textTable } from '../text-table.js';
import { DEFAULT_SEVERITIES, DEFAULT_SOC2_CONTROLS, FINDING_TYPES, type Finding } from './inactivity.js';
import { formatAge, type ScanResult, staleNote, unreadableText } from './scan.js';

/**
 * The SOC 2 inactive-user report in the seed's formats: a CSV with its exact 15 columns and a JSON document.
 * Both carry the credential report's GeneratedTime (the CSV inside Details, since its columns are fixed).
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

function csvRow(f: Finding, generated: ReadonlyMap<string, string>): string[] {
  return [
    f.id,
    f.accountId,
    f.userName,
    f.email,
    f.type,
    f.severity,
    `${f.details} [credential report generated ${generated.get(f.accountId)}]`,
    f.controls.join('; '),
    f.remediation,
    f.department,
    f.manager,
    f.createdDate,
    f.lastLogin,
    f.mfaEnabled ? 'true' : 'false',
    f.status,
  ];
}

function generatedTimes(result: ScanResult): Map<string, string> {
  return new Map(result.accounts.map((a) => [a.accountId, a.generatedAt?.toISOString() ?? 'unknown']));
}

export function findingsCsv(result: ScanResult): string {
  const generated = generatedTimes(result);
  return stringify(
    result.findings.map((f) => csvRow(f, generated)),
    { header: true, columns: [...CSV_COLUMNS] },
  );
}

/** The same CSV as a stream, row by row, so a 100k-finding report never exists as one string. */
export function findingsCsvStream(result: ScanResult): Readable {
  const generated = generatedTimes(result);
  const rows = Readable.from(
    (function* () {
      for (const f of result.findings) yield csvRow(f, generated);
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

export function findingJson(f: Finding) {
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
  };
}

export function findingsDocument(result: ScanResult, ticketMinSeverity: Severity) {
  const now = result.analysisDate.getTime();
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
    findings: result.findings.map(findingJson),
  };
}

/** The JSON document as a stream: the envelope once, then one finding at a time. */
export function findingsJsonStream(result: ScanResult, ticketMinSeverity: Severity): Readable {
  const { findings: _omit, ...envelope } = findingsDocument({ ...result, findings: [] }, ticketMinSeverity);
  const head = JSON.stringify({ ...envelope, summary: summarize(result.findings) }, null, 2);
  return Readable.from(
    (function* () {
      yield `${head.slice(0, -2)},\n  "findings": [`;
      for (let i = 0; i < result.findings.length; i++) {
        yield `${i ? ',' : ''}\n    ${JSON.stringify(findingJson(result.findings[i] as Finding))}`;
      }
      yield result.findings.length ? '\n  ]\n}\n' : ']\n}\n';
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
