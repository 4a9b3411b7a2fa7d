import { randomUUID } from 'node:crypto';
import { GetAccountAuthorizationDetailsCommand, type IAMClient, type UserDetail } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { AccountConfig } from '../../config.js';
import { AwsUserError, errorMessage } from '../../errors.js';
import { AuthorizationDetailsParser, captureParsedBody, GAAD_STUB } from '../aws/lean-read.js';
import type { CoreContext } from '../context.js';
import { PROFILE_TAG, tagValue } from '../tags.js';
import {
  type CredentialReportRow,
  type FetchReportOptions,
  fetchCredentialReport,
  isTrue,
  type UnreadableRow,
} from './credential-report.js';
import {
  countBySeverity,
  type FindingHistory,
  type FindingRecord,
  type ResolvedFinding,
  resolvedIn,
  type ScanRun,
  type ScanSource,
  settingsKey,
} from './history.js';
import {
  analyze,
  compareFindings,
  detach,
  type Finding,
  type InactivitySettings,
  type UserFacts,
} from './inactivity.js';

/**
 * Scans accounts for inactive credentials: per account AssumeRole (through ctx.clients), the credential
 * report and GetAccountAuthorizationDetails(Filter=User) pages — a constant number of calls — then the pure
 * analysis. Accounts run in parallel with bounded concurrency; one that fails is reported as failed with
 * its reason, never as an empty account, and the others complete. Each account's raw report and user
 * details are reduced to findings (and, only when asked, a compact per-user snapshot) before the next
 * account starts, so memory tracks concurrency, not the number of accounts.
 */

export interface KeySnapshot {
  slot: 1 | 2;
  active: boolean;
  lastRotated: string;
  lastUsed: string;
}

/** One user as the access/compliance/security/cost reports need it. */
export interface ScannedUser {
  userName: string;
  createdAt: string;
  passwordEnabled: boolean;
  passwordLastUsed: string;
  passwordNextRotation: string;
  mfa: boolean;
  keys: KeySnapshot[];
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: string[];
  tags: Record<string, string>;
}

export interface AccountScan {
  accountId: string;
  accountName: string;
  region: string;
  ok: boolean;
  /** Why the account could not be analysed (ok=false). */
  error?: { code: string; message: string } | undefined;
  /** The credential report's GeneratedTime. */
  generatedAt?: Date | undefined;
  userCount: number;
  findings: Finding[];
  /** IAM calls made for this account (AssumeRole excluded; it is STS and cached). */
  iamCalls: number;
  users?: ScannedUser[] | undefined;
  root?: CredentialReportRow | undefined;
  /**
   * Credential-report rows that could not be read (their users were not checked): every output names them
   * with their line, so a shifted row never passes as a user with nothing to report.
   */
  unreadableRows?: UnreadableRow[] | undefined;
  /** ok, and every row of the credential report was read: only then may it resolve findings. */
  complete?: boolean | undefined;
  /** With history: the account's OPEN findings this scan did not see, and why each went. */
  resolved?: ResolvedFinding[] | undefined;
}

/** What the scan changed in the finding history (ScanOptions.history). */
export interface ScanHistory {
  run: ScanRun;
  /** The run before this one (any source), when there was one. */
  previous?: ScanRun | undefined;
  /** Findings first seen in this run, or seen again after they had resolved. */
  opened: ReadonlySet<string>;
  /** Findings this run resolved. */
  resolved: FindingRecord[];
  /** When each finding of this run was first seen (this episode). */
  firstSeen: ReadonlyMap<string, string>;
}

export interface ScanResult {
  analysisDate: Date;
  settings: InactivitySettings;
  accounts: AccountScan[];
  /** All findings, HIGH first. */
  findings: Finding[];
  /** Set when the scan was recorded in the finding history. */
  history?: ScanHistory | undefined;
  /** Why the scan could not be recorded (the store did not answer): the findings stand, the history waits. */
  historyError?: string | undefined;
}

export interface ScanOptions {
  /** Account ids or names; default: every managed account. */
  accounts?: readonly string[] | undefined;
  /** Overrides of config.inactivity (e.g. the CLI's --console-threshold). */
  settings?: Partial<InactivitySettings> | undefined;
  concurrency?: number | undefined;
  /** Keep a per-user snapshot for the access/compliance/security/cost reports. */
  includeUsers?: boolean | undefined;
  report?: Omit<FetchReportOptions, 'stats'> | undefined;
  /** Called as each account finishes (progress for the CLI and Slack). */
  onAccount?: ((scan: AccountScan) => void) | undefined;
  /**
   * Record the run in the finding history and resolve what it no longer sees. Only for scans with the
   * configured thresholds: a scan at other thresholds would "resolve" findings that are merely below them.
   */
  history?: { store: FindingHistory; source: ScanSource } | undefined;
}

export function effectiveSettings(ctx: CoreContext, over?: Partial<InactivitySettings>): InactivitySettings {
  const c = ctx.config.inactivity;
  return {
    console_days: over?.console_days ?? c.console_days,
    access_key_days: over?.access_key_days ?? c.access_key_days,
    severities: { ...c.severities, ...over?.severities },
    soc2_controls: { ...c.soc2_controls, ...over?.soc2_controls },
  };
}

/**
 * The user's profile tags as copies: the lean parser's values are views into the page's XML (~600 KB per
 * 1,000 users), which would otherwise stay alive while the account waits for its credential report.
 * Departments and managers repeat, so `shared` keeps one copy of each per account.
 */
function factsOf(u: UserDetail, shared: Map<string, string>): UserFacts {
  const copy = (v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    let c = shared.get(v);
    if (c === undefined) {
      c = detach(v);
      shared.set(c, c);
    }
    return c;
  };
  const email = tagValue(u, PROFILE_TAG.email) ?? tagValue(u, PROFILE_TAG.email.toLowerCase());
  return {
    email: email === undefined ? undefined : detach(email),
    department: copy(tagValue(u, PROFILE_TAG.department)),
    manager: copy(tagValue(u, PROFILE_TAG.manager)),
  };
}

function snapshot(row: CredentialReportRow, u: UserDetail | undefined): ScannedUser {
  const tags: Record<string, string> = {};
  for (const t of u?.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    userName: row.user,
    createdAt: row.user_creation_time,
    passwordEnabled: isTrue(row.password_enabled),
    passwordLastUsed: row.password_last_used,
    passwordNextRotation: row.password_next_rotation,
    mfa: isTrue(row.mfa_active),
    keys: [
      {
        slot: 1,
        active: isTrue(row.access_key_1_active),
        lastRotated: row.access_key_1_last_rotated,
        lastUsed: row.access_key_1_last_used_date,
      },
      {
        slot: 2,
        active: isTrue(row.access_key_2_active),
        lastRotated: row.access_key_2_last_rotated,
        lastUsed: row.access_key_2_last_used_date,
      },
    ],
    groups: u?.GroupList ?? [],
    managedPolicies: (u?.AttachedManagedPolicies ?? []).map((p) => p.PolicyArn ?? p.PolicyName ?? ''),
    inlinePolicies: (u?.UserPolicyList ?? []).map((p) => p.PolicyName ?? ''),
    tags,
  };
}

/**
 * GetAccountAuthorizationDetails(Filter=User) page by page (≤ 1,000 users each, following Marker), handing
 * each page to `onPage` so callers reduce it at once instead of holding every UserDetail of the account.
 */
export async function forEachUserPage<U = UserDetail>(
  iam: IAMClient,
  onPage: (users: U[]) => void,
  stats?: { calls: number },
  full = true,
  /** Each user reduced to what the caller keeps, as the page is read (default: the UserDetail). */
  reduce: (u: UserDetail) => U = (u) => u as U,
): Promise<void> {
  let marker: string | undefined;
  do {
    const command = new GetAccountAuthorizationDetailsCommand({
      Filter: ['User'],
      MaxItems: 1000,
      Marker: marker,
    });
    const lean = captureParsedBody(command, GAAD_STUB, () => new AuthorizationDetailsParser(full, reduce));
    const out = await iam.send(command);
    if (stats) stats.calls++;
    const page = lean.result;
    if (page !== undefined) {
      onPage(page.users);
      marker = page.marker;
    } else {
      onPage((out.UserDetailList ?? []).map(reduce));
      marker = out.IsTruncated ? out.Marker : undefined;
    }
  } while (marker);
}

export async function scanAccount(
  ctx: CoreContext,
  account: AccountConfig,
  settings: InactivitySettings,
  now: Date,
  opts: Pick<ScanOptions, 'includeUsers' | 'report'> & {
    /** The account's OPEN findings in history; undefined: no history, resolve nothing. */
    prior?: Promise<readonly FindingRecord[] | undefined>;
  } = {},
): Promise<AccountScan> {
  const stats = { calls: 0 };
  const base = { accountId: account.id, accountName: account.name, region: account.region };
  try {
    const iam = ctx.clients.iam(account.id);
    const facts = new Map<string, UserFacts>();
    const shared = new Map<string, string>();
    const byName = opts.includeUsers ? new Map<string, UserDetail>() : undefined;
    const [report] = await Promise.all([
      fetchCredentialReport(iam, { ...(ctx.sleep ? { sleep: ctx.sleep } : {}), ...opts.report, stats }),
      byName
        ? forEachUserPage(
            iam,
            (page) => {
              // The per-user snapshot keeps the whole UserDetail until the account is done.
              for (const u of page) {
                if (!u.UserName) continue;
                facts.set(u.UserName, factsOf(u, shared));
                byName.set(u.UserName, u);
              }
            },
            stats,
            true,
          )
        : forEachUserPage<[string | undefined, UserFacts]>(
            iam,
            (page) => {
              for (const [name, f] of page) if (name) facts.set(name, f);
            },
            stats,
            false,
            (u) => [u.UserName === undefined ? undefined : detach(u.UserName), factsOf(u, shared)],
          ),
    ]);
    const findings = analyze({ id: account.id, name: account.name }, report.rows, facts, now, settings);
    if (report.unreadable.length > 0)
      ctx.logger.warn(
        { account: account.id, lines: report.unreadable.map((u) => u.line) },
        'credential report rows unreadable; their users were not checked',
      );
    const userRows = report.rows.filter((r) => r.user !== '<root_account>');
    const prior = await opts.prior;
    return {
      ...base,
      ok: true,
      complete: report.unreadable.length === 0,
      resolved: prior
        ? resolvedIn(prior, findings, userRows, report.unreadable, settingsKey(settings))
        : undefined,
      generatedAt: report.generatedAt,
      userCount: userRows.length,
      findings,
      iamCalls: stats.calls,
      users: byName ? userRows.map((r) => snapshot(r, byName.get(r.user))) : undefined,
      root: opts.includeUsers ? report.rows.find((r) => r.user === '<root_account>') : undefined,
      unreadableRows: report.unreadable,
    };
  } catch (err) {
    const code = err instanceof AwsUserError ? err.code : ((err as { name?: string }).name ?? 'Error');
    ctx.logger.warn({ account: account.id, code, err: errorMessage(err) }, 'account scan failed');
    return {
      ...base,
      ok: false,
      error: { code, message: errorMessage(err) },
      userCount: 0,
      findings: [],
      iamCalls: stats.calls,
    };
  }
}

export async function scan(ctx: CoreContext, opts: ScanOptions = {}): Promise<ScanResult> {
  const accounts = ctx.clients.select(opts.accounts);
  const settings = effectiveSettings(ctx, opts.settings);
  const analysisDate = ctx.clock.now();
  const history = opts.history;
  let historyError: string | undefined;
  const unavailable = (err: unknown): undefined => {
    historyError ??= errorMessage(err);
    return undefined;
  };
  // The latest run recorded before this one starts, whatever its clock said: replicas' clocks differ.
  const previous = history?.store.runs({ limit: 1 }).then((r) => r[0], unavailable);
  // Each task reduces its account to findings before it frees its slot: memory tracks the concurrency.
  const limit = pLimit(Math.max(1, opts.concurrency ?? ctx.config.inactivity.concurrency));
  const results = await Promise.all(
    accounts.map((a) =>
      limit(async () => {
        const prior = history?.store.open(a.id).catch(unavailable);
        const r = await scanAccount(ctx, a, settings, analysisDate, { ...opts, prior });
        opts.onAccount?.(r);
        return r;
      }),
    ),
  );
  const findings = results.flatMap((r) => r.findings).sort(compareFindings);
  const result: ScanResult = { analysisDate, settings, accounts: results, findings };
  if (!history) return result;
  const before = await previous;
  if (historyError) {
    ctx.logger.warn({ err: historyError }, 'scan: finding history unavailable; this run is not recorded');
    return { ...result, historyError };
  }
  try {
    return { ...result, history: await recordRun(history, result, before) };
  } catch (err) {
    ctx.logger.warn({ err: errorMessage(err) }, 'scan: could not record the run in the finding history');
    return { ...result, historyError: errorMessage(err) };
  }
}

/**
 * The findings resolved after `since` (an earlier run's time) in the accounts this scan covered: what it
 * resolved, plus any that a scan beside it, or in between, resolved. No `since`: what this scan resolved.
 */
export async function resolvedAfter(
  history: FindingHistory,
  result: ScanResult,
  since: string | undefined,
): Promise<FindingRecord[]> {
  const h = result.history;
  if (!h) return [];
  if (!since) return h.resolved;
  return history.resolvedSince(
    new Date(Date.parse(since) + 1),
    result.accounts.map((a) => a.accountId),
  );
}

async function recordRun(
  history: NonNullable<ScanOptions['history']>,
  result: ScanResult,
  previous: ScanRun | undefined,
): Promise<ScanHistory> {
  const recorded = await history.store.record({
    run: {
      id: `run-${result.analysisDate.getTime()}-${randomUUID().slice(0, 8)}`,
      source: history.source,
      at: result.analysisDate.toISOString(),
      settings: settingsKey(result.settings),
      accounts: result.accounts.map((a) => ({
        id: a.accountId,
        name: a.accountName,
        ok: a.ok,
        complete: a.complete ?? false,
        ...(a.error ? { error: a.error.message } : {}),
        users: a.userCount,
        counts: countBySeverity(a.findings),
      })),
      counts: countBySeverity(result.findings),
    },
    findings: result.findings,
    resolved: result.accounts.flatMap((a) => a.resolved ?? []),
  });
  return {
    run: recorded.run,
    previous,
    opened: new Set(recorded.opened),
    resolved: recorded.resolved,
    firstSeen: recorded.firstSeen,
  };
}

export function failedAccounts(result: ScanResult): AccountScan[] {
  return result.accounts.filter((a) => !a.ok);
}

/** Every unreadable credential-report row of the scan, with its account. */
export function unreadableRows(
  result: Pick<ScanResult, 'accounts'>,
): (UnreadableRow & { accountId: string; accountName: string })[] {
  return result.accounts.flatMap((a) =>
    (a.unreadableRows ?? []).map((u) => ({ accountId: a.accountId, accountName: a.accountName, ...u })),
  );
}

/** "line 3 (user "o"): 23 cells where the header has 22…": one unreadable row for a human. */
export function unreadableText(u: UnreadableRow): string {
  return `line ${u.line}${u.user ? ` (user ${JSON.stringify(u.user)})` : ''}: ${u.reason}`;
}

/** AWS regenerates a credential report older than this; an older one means the account's data is stale. */
export const REPORT_STALE_MS = 4 * 3_600_000;

/** " (STALE: older than 4 h)" when a report is past AWS's 4-hour cache, else "". */
export function staleNote(generatedAt: Date | undefined, now: Date): string {
  return generatedAt && now.getTime() - generatedAt.getTime() > REPORT_STALE_MS
    ? ' (STALE: older than 4 h)'
    : '';
}

/** "3 h 12 min" / "11 y 293 d": the credential report's age, shown with every output. */
export function formatAge(ms: number): string {
  if (ms < 0) return 'in the future (check the clock)';
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  if (d < 730) return `${d} d`;
  return `${Math.floor(d / 365)} y ${d % 365} d`;
}
