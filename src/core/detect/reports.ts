import {
  GetAccountPasswordPolicyCommand,
  NoSuchEntityException,
  type PasswordPolicy,
} from '@aws-sdk/client-iam';
import { stringify } from 'csv-stringify/sync';
import pLimit from 'p-limit';
import type { Config } from '../../config.js';
import { errorMessage } from '../../errors.js';
import type { AuditEvent } from '../audit.js';
import { DAY_MS } from '../clock.js';
import type { CoreContext } from '../context.js';
import { textTable } from '../text-table.js';
import { type CredentialReportRow, isTrue, type UnreadableRow } from './credential-report.js';
import { readValue } from './inactivity.js';
import {
  type AccountScan,
  formatAge,
  type ScannedUser,
  type ScanOptions,
  scan,
  unreadableText,
} from './scan.js';

/**
 * The seed provisioning tool's reports — access, compliance, security, cost — built from the same
 * constant-cost scan (credential report + GetAccountAuthorizationDetails) plus, for compliance, one
 * GetAccountPasswordPolicy per account. Builders are pure: data in, a TypedReport out, rendered as CSV
 * (its `rows`), JSON (all of it) or text.
 */

export const REPORT_TYPES = ['access', 'compliance', 'security', 'cost'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

export interface TypedReport {
  type: ReportType;
  generated_at: string;
  accounts: {
    id: string;
    name: string;
    users: number;
    report_generated_at: string | null;
    report_age: string;
    /** Credential-report rows that could not be read: their users are missing from the rows below. */
    unreadable_rows: UnreadableRow[];
  }[];
  accounts_failed: { id: string; name: string; error: string }[];
  summary: Record<string, number | string>;
  /** Extra named lists (top groups, recent activity, password policy per account). */
  sections: Record<string, Record<string, unknown>[]>;
  /** The per-row detail; the CSV is exactly these. */
  columns: string[];
  rows: (string | number | boolean)[][];
}

export interface ReportData {
  now: Date;
  config: Pick<Config, 'keys' | 'password_policy' | 'inactivity'>;
  accounts: AccountScan[];
  passwordPolicies?: Map<string, PasswordPolicy | null>;
  recentActivity?: AuditEvent[];
}

const ADMIN_POLICIES = /(^|\/)(AdministratorAccess|IAMFullAccess|PowerUserAccess)$/;

function daysSince(raw: string, now: Date): number | undefined {
  const v = readValue(raw);
  return v.kind === 'date' ? Math.floor((now.getTime() - v.date.getTime()) / DAY_MS) : undefined;
}

function header(type: ReportType, d: ReportData) {
  const ok = d.accounts.filter((a) => a.ok);
  return {
    type,
    generated_at: d.now.toISOString(),
    accounts: ok.map((a) => ({
      id: a.accountId,
      name: a.accountName,
      users: a.userCount,
      report_generated_at: a.generatedAt?.toISOString() ?? null,
      report_age: a.generatedAt ? formatAge(d.now.getTime() - a.generatedAt.getTime()) : 'unknown',
      unreadable_rows: a.unreadableRows ?? [],
    })),
    accounts_failed: d.accounts
      .filter((a) => !a.ok)
      .map((a) => ({ id: a.accountId, name: a.accountName, error: a.error?.message ?? 'unknown' })),
  };
}

function* users(d: ReportData): Generator<[AccountScan, ScannedUser]> {
  for (const a of d.accounts) for (const u of a.users ?? []) yield [a, u];
}

function activeKeys(u: ScannedUser) {
  return u.keys.filter((k) => k.active);
}

function lastActivityDays(u: ScannedUser, now: Date): number | undefined {
  const candidates = [u.passwordLastUsed, ...activeKeys(u).map((k) => k.lastUsed)]
    .map((r) => daysSince(r, now))
    .filter((x): x is number => x !== undefined);
  return candidates.length ? Math.min(...candidates) : undefined;
}

export function accessReport(d: ReportData): TypedReport {
  const window = d.config.inactivity.console_days;
  let total = 0;
  let active = 0;
  let withMfa = 0;
  let expired = 0;
  let oldKeys = 0;
  const groups = new Map<string, number>();
  const rows: TypedReport['rows'] = [];
  for (const [a, u] of users(d)) {
    total++;
    const last = lastActivityDays(u, d.now);
    const isActive = last !== undefined && last < window;
    if (isActive) active++;
    if (u.mfa) withMfa++;
    const next = readValue(u.passwordNextRotation);
    const isExpired = u.passwordEnabled && next.kind === 'date' && next.date < d.now;
    if (isExpired) expired++;
    const keyAges = activeKeys(u).map((k) => daysSince(k.lastRotated, d.now) ?? 0);
    oldKeys += keyAges.filter((x) => x > 90).length;
    for (const g of u.groups) groups.set(g, (groups.get(g) ?? 0) + 1);
    rows.push([
      a.accountId,
      u.userName,
      u.passwordEnabled,
      u.passwordLastUsed,
      u.mfa,
      keyAges.length,
      keyAges.length ? Math.max(...keyAges) : '',
      u.groups.join(';'),
      isActive,
      isExpired,
    ]);
  }
  const topGroups = [...groups.entries()]
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .slice(0, 10)
    .map(([group, members]) => ({ group, members }));
  return {
    ...header('access', d),
    summary: {
      users: total,
      active_users: active,
      active_window_days: window,
      mfa_percent: total ? Math.round((withMfa / total) * 1000) / 10 : 0,
      expired_passwords: expired,
      keys_older_than_90_days: oldKeys,
    },
    sections: {
      top_groups: topGroups,
      recent_activity: (d.recentActivity ?? []).map((e) => ({
        ts: e.ts,
        actor: e.actor,
        action: e.action,
        account: e.account,
        target: e.target,
        outcome: e.outcome,
      })),
    },
    columns: [
      'Account',
      'Username',
      'Console',
      'Last_Login',
      'MFA_Enabled',
      'Active_Keys',
      'Oldest_Key_Days',
      'Groups',
      'Active',
      'Password_Expired',
    ],
    rows,
  };
}

/** Differences between the account's policy and config.password_policy; [] means compliant. */
export function passwordPolicyProblems(
  actual: PasswordPolicy | null,
  want: Config['password_policy'],
): string[] {
  if (!actual) return ['no password policy set (AWS defaults apply)'];
  const p: string[] = [];
  if ((actual.MinimumPasswordLength ?? 0) < want.minimum_length)
    p.push(`minimum length ${actual.MinimumPasswordLength ?? 0} < ${want.minimum_length}`);
  if (want.require_uppercase && !actual.RequireUppercaseCharacters) p.push('uppercase not required');
  if (want.require_lowercase && !actual.RequireLowercaseCharacters) p.push('lowercase not required');
  if (want.require_numbers && !actual.RequireNumbers) p.push('numbers not required');
  if (want.require_symbols && !actual.RequireSymbols) p.push('symbols not required');
  if (want.max_age_days > 0 && (!actual.MaxPasswordAge || actual.MaxPasswordAge > want.max_age_days))
    p.push(`max age ${actual.MaxPasswordAge ?? 'unlimited'} > ${want.max_age_days} days`);
  if ((actual.PasswordReusePrevention ?? 0) < want.password_reuse_prevention)
    p.push(`reuse prevention ${actual.PasswordReusePrevention ?? 0} < ${want.password_reuse_prevention}`);
  return p;
}

export function complianceReport(d: ReportData): TypedReport {
  const maxAge = d.config.keys.max_age_days;
  const rows: TypedReport['rows'] = [];
  let noMfa = 0;
  let oldKeys = 0;
  for (const [a, u] of users(d)) {
    if (u.passwordEnabled && !u.mfa) {
      noMfa++;
      rows.push([
        a.accountId,
        u.userName,
        'CONSOLE_WITHOUT_MFA',
        'Console password enabled and no MFA device',
        'CC6.1',
      ]);
    }
    for (const k of activeKeys(u)) {
      const age = daysSince(k.lastRotated, d.now);
      if (age !== undefined && age > maxAge) {
        oldKeys++;
        rows.push([
          a.accountId,
          u.userName,
          'ACCESS_KEY_TOO_OLD',
          `Access key ${k.slot} is ${age} days old (max ${maxAge})`,
          'CC6.1',
        ]);
      }
    }
  }
  const policies = d.accounts
    .filter((a) => a.ok)
    .map((a) => {
      const problems = passwordPolicyProblems(
        d.passwordPolicies?.get(a.accountId) ?? null,
        d.config.password_policy,
      );
      for (const p of problems) rows.push([a.accountId, '', 'PASSWORD_POLICY', p, 'CC6.1']);
      return { account: a.accountId, name: a.accountName, compliant: problems.length === 0, problems };
    });
  return {
    ...header('compliance', d),
    summary: {
      console_users_without_mfa: noMfa,
      keys_older_than_max_age: oldKeys,
      key_max_age_days: maxAge,
      password_policy_compliant_accounts: policies.filter((p) => p.compliant).length,
      password_policy_noncompliant_accounts: policies.filter((p) => !p.compliant).length,
    },
    sections: { password_policy: policies },
    columns: ['Account', 'Username', 'Check', 'Details', 'SOC2_Control'],
    rows,
  };
}

function rootRisks(a: AccountScan, root: CredentialReportRow, now: Date): [string, string, string][] {
  const out: [string, string, string][] = [];
  if (!isTrue(root.mfa_active)) out.push(['ROOT_WITHOUT_MFA', 'HIGH', 'The root user has no MFA device']);
  if (isTrue(root.access_key_1_active) || isTrue(root.access_key_2_active))
    out.push(['ROOT_ACCESS_KEYS', 'HIGH', 'The root user has active access keys']);
  const used = daysSince(root.password_last_used, now);
  if (used !== undefined && used < 30)
    out.push([
      'ROOT_RECENTLY_USED',
      'MEDIUM',
      `The root password was used ${used} days ago in ${a.accountName}`,
    ]);
  return out;
}

export function securityReport(d: ReportData): TypedReport {
  const rows: TypedReport['rows'] = [];
  const add = (a: AccountScan, user: string, risk: string, sev: string, details: string) =>
    rows.push([a.accountId, user, risk, sev, details]);
  for (const a of d.accounts) {
    if (a.root)
      for (const [risk, sev, details] of rootRisks(a, a.root, d.now))
        add(a, '<root_account>', risk, sev, details);
  }
  for (const [a, u] of users(d)) {
    const admin = u.managedPolicies.filter((p) => ADMIN_POLICIES.test(p));
    const adminGroups = u.groups.filter((g) => /admin/i.test(g));
    if (admin.length || adminGroups.length) {
      const sev = u.passwordEnabled && !u.mfa ? 'HIGH' : 'MEDIUM';
      add(
        a,
        u.userName,
        'ADMIN_ACCESS',
        sev,
        `Admin-level access: ${[...admin, ...adminGroups.map((g) => `group ${g}`)].join(', ')}`,
      );
    }
    if (u.passwordEnabled && !u.mfa)
      add(a, u.userName, 'CONSOLE_WITHOUT_MFA', 'HIGH', 'Console password without MFA');
    if (activeKeys(u).length > 1)
      add(a, u.userName, 'MULTIPLE_ACTIVE_KEYS', 'MEDIUM', 'Two active access keys (finish the rotation)');
    if (u.inlinePolicies.length)
      add(
        a,
        u.userName,
        'INLINE_POLICIES',
        'LOW',
        `Inline user policies: ${u.inlinePolicies.join(', ')} (prefer groups)`,
      );
    if (u.passwordEnabled && activeKeys(u).length > 0 && admin.length)
      add(
        a,
        u.userName,
        'ADMIN_WITH_KEYS_AND_CONSOLE',
        'MEDIUM',
        'Admin user with both console and programmatic access',
      );
  }
  const count = (s: string) => rows.filter((r) => r[3] === s).length;
  return {
    ...header('security', d),
    summary: { total_risks: rows.length, high: count('HIGH'), medium: count('MEDIUM'), low: count('LOW') },
    sections: {},
    columns: ['Account', 'Username', 'Risk', 'Severity', 'Details'],
    rows: rows.sort(
      (x, y) =>
        ['HIGH', 'MEDIUM', 'LOW'].indexOf(String(x[3])) - ['HIGH', 'MEDIUM', 'LOW'].indexOf(String(y[3])),
    ),
  };
}

export function costReport(d: ReportData): TypedReport {
  const groups = new Map<
    string,
    { account: string; cc: string; dept: string; users: number; console: number; keys: number }
  >();
  for (const [a, u] of users(d)) {
    const cc = u.tags.CostCenter || '(untagged)';
    const dept = u.tags.Department || '(untagged)';
    const k = `${a.accountId}\u0000${cc}\u0000${dept}`;
    const g = groups.get(k) ?? { account: a.accountId, cc, dept, users: 0, console: 0, keys: 0 };
    g.users++;
    if (u.passwordEnabled) g.console++;
    g.keys += activeKeys(u).length;
    groups.set(k, g);
  }
  const list = [...groups.values()].sort((x, y) => y.users - x.users || x.cc.localeCompare(y.cc));
  const untagged = list.filter((g) => g.cc === '(untagged)').reduce((n, g) => n + g.users, 0);
  return {
    ...header('cost', d),
    summary: {
      users: list.reduce((n, g) => n + g.users, 0),
      cost_centers: new Set(list.map((g) => g.cc)).size,
      departments: new Set(list.map((g) => g.dept)).size,
      users_without_cost_center: untagged,
    },
    sections: {},
    columns: ['Account', 'CostCenter', 'Department', 'Users', 'Console_Users', 'Active_Keys'],
    rows: list.map((g) => [g.account, g.cc, g.dept, g.users, g.console, g.keys]),
  };
}

const BUILDERS: Record<ReportType, (d: ReportData) => TypedReport> = {
  access: accessReport,
  compliance: complianceReport,
  security: securityReport,
  cost: costReport,
};

export function buildReport(type: ReportType, d: ReportData): TypedReport {
  return BUILDERS[type](d);
}

/** Gathers what a report needs (the scan with user snapshots, password policies, audit trail) and builds it. */
export async function generateReport(
  ctx: CoreContext,
  type: ReportType,
  opts: Pick<ScanOptions, 'accounts' | 'onAccount'> = {},
): Promise<TypedReport> {
  const result = await scan(ctx, { accounts: opts.accounts, includeUsers: true, onAccount: opts.onAccount });
  const data: ReportData = { now: result.analysisDate, config: ctx.config, accounts: result.accounts };
  if (type === 'compliance') {
    data.passwordPolicies = new Map();
    const ok = result.accounts.filter((a) => a.ok);
    await pLimit(ctx.config.inactivity.concurrency).map(ok, async (a) => {
      try {
        const out = await ctx.clients.iam(a.accountId).send(new GetAccountPasswordPolicyCommand({}));
        data.passwordPolicies?.set(a.accountId, out.PasswordPolicy ?? null);
      } catch (err) {
        if (err instanceof NoSuchEntityException) data.passwordPolicies?.set(a.accountId, null);
        else {
          a.ok = false;
          a.error = {
            code: 'PASSWORD_POLICY',
            message: `cannot read the password policy: ${errorMessage(err)}`,
          };
        }
      }
    });
  }
  if (type === 'access') data.recentActivity = await ctx.auditor.recent({ limit: 20 });
  return buildReport(type, data);
}

export function reportCsv(r: TypedReport): string {
  return stringify(
    r.rows.map((row) => row.map((v) => (typeof v === 'boolean' ? String(v) : v))),
    {
      header: true,
      columns: r.columns,
    },
  );
}

/** The report for a person: account and row tables that line up in a terminal and in a Slack code block. */
export function reportText(r: TypedReport, limit = 25): string {
  const lines = [
    `${r.type} report at ${r.generated_at}`,
    '',
    ...textTable(
      ['Account', 'Id', 'Users', 'Report generated', 'Report age', 'Status'],
      [
        ...r.accounts.map((a) => [
          a.name,
          a.id,
          a.users,
          a.report_generated_at ?? '?',
          a.report_age,
          a.unreadable_rows.length ? `${a.unreadable_rows.length} UNREADABLE row(s)` : 'ok',
        ]),
        ...r.accounts_failed.map((f) => [f.name, f.id, '', '', '', `FAILED — ${f.error}`]),
      ],
      { indent: 2, lastMaxWidth: 200 },
    ),
  ];
  for (const a of r.accounts)
    for (const u of a.unreadable_rows.slice(0, limit))
      lines.push(
        `  ${a.name} (${a.id}): UNREADABLE credential report row, user not checked: ${unreadableText(u)}`,
      );
  lines.push('');
  for (const [k, v] of Object.entries(r.summary)) lines.push(`  ${k.replaceAll('_', ' ')}: ${v}`);
  for (const [name, items] of Object.entries(r.sections)) {
    if (items.length === 0) continue;
    const keys = Object.keys(items[0] ?? {});
    lines.push(
      '',
      `  ${name.replaceAll('_', ' ')}:`,
      ...textTable(
        keys,
        items.slice(0, 10).map((it) => keys.map((k) => sectionCell(it[k]))),
        { indent: 4, lastMaxWidth: 200 },
      ),
    );
  }
  if (r.rows.length) {
    lines.push('', ...textTable(r.columns, r.rows.slice(0, limit), { indent: 2, lastMaxWidth: 200 }));
    if (r.rows.length > limit)
      lines.push(`  … and ${r.rows.length - limit} more rows (use --format csv or json)`);
  }
  return `${lines.join('\n')}\n`;
}

function sectionCell(v: unknown): string {
  return Array.isArray(v) ? v.join('; ') : String(v ?? '');
}
