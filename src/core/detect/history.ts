import type { Severity } from '../../config.js';
import { type CredentialReportRow, isTrue, type UnreadableRow } from './credential-report.js';
import {
  type Finding,
  type FindingStatus,
  type InactivitySettings,
  keyColumns,
  readValue,
} from './inactivity.js';

/**
 * Finding history: what earlier scans found, so a scan can say what is new, what was fixed and why. The
 * store keeps it (FindingHistory is the port core/ writes through; the stores implement it); this module
 * holds the rules, all pure:
 *
 * - A finding is OPEN from the first scan that sees it to the first *complete* scan of its account that
 *   does not. Then it is RESOLVED, with when and, read off that scan's credential report, why.
 * - An account that failed resolves nothing, and neither does one whose credential report had a row that
 *   could not be read: that row may be any user's.
 * - A RESOLVED finding that a later scan sees again is OPEN again, from that scan: a new episode (and a new
 *   Jira ticket), with the earlier resolution kept in `history`.
 */

export type { FindingStatus };
export type ScanSource = 'cli' | 'slack' | 'digest';
export type SeverityCounts = Record<Severity, number>;

export type ResolutionReason =
  | 'user-deleted'
  | 'console-removed'
  | 'signed-in'
  | 'key-deleted'
  | 'key-deactivated'
  | 'key-used'
  | 'threshold-changed'
  | 'no-longer-inactive';

export interface Resolution {
  reason: ResolutionReason;
  /** One sentence for people: the CSV, the digest, the Jira comment. */
  text: string;
}

/** A finding as history keeps it: the finding as last seen, and its life. */
export interface FindingRecord {
  finding: Finding;
  status: FindingStatus;
  firstSeen: string;
  lastSeen: string;
  /** The thresholds of the run that last saw it (settingsKey). */
  settings: string;
  resolvedAt?: string;
  resolution?: Resolution;
  /** Earlier episodes of the same finding, oldest first. */
  history?: { firstSeen: string; resolvedAt: string; reason: ResolutionReason }[];
}

export interface ScanRunAccount {
  id: string;
  name: string;
  ok: boolean;
  /** ok, and every row of its credential report was read: only such an account resolves findings. */
  complete: boolean;
  error?: string;
  users: number;
  counts: SeverityCounts;
}

export interface ScanRun {
  id: string;
  source: ScanSource;
  at: string;
  settings: string;
  accounts: ScanRunAccount[];
  counts: SeverityCounts;
  /** Findings first seen (or seen again after resolving) in this run. */
  opened: number;
  resolved: number;
}

export interface RecordRunInput {
  run: Omit<ScanRun, 'opened' | 'resolved'>;
  /** Every finding of the run, from its ok accounts. */
  findings: readonly Finding[];
  resolved: readonly ResolvedFinding[];
}

export interface RecordRunResult {
  run: ScanRun;
  /** Ids first seen in this run, or seen again after resolving. */
  opened: string[];
  /** The findings this run resolved, as now stored. */
  resolved: FindingRecord[];
  /** First-seen time of every finding of the run. */
  firstSeen: Map<string, string>;
}

/** The port the store implements (SQLite, Redis, memory): see test/store/finding-history.test.ts. */
export interface FindingHistory {
  /** OPEN findings of one account: what a complete scan of it may resolve. */
  open(accountId: string): Promise<FindingRecord[]>;
  /**
   * Writes the findings' new state, then the run (in batches where the run is large: the run last, so a
   * reader that sees the run sees every change it made), and says what changed.
   */
  record(input: RecordRunInput): Promise<RecordRunResult>;
  /** Runs, newest first: at most `limit`, only `source` when given, only before `before` when given. */
  runs(opts: { limit: number; source?: ScanSource; before?: Date }): Promise<ScanRun[]>;
  /** The ids of the findings a run saw. */
  runFindings(runId: string): Promise<string[]>;
  /** Findings resolved at or after `since`, newest first; only in `accounts` when given. */
  resolvedSince(since: Date, accounts?: readonly string[]): Promise<FindingRecord[]>;
  /** Deletes runs older than `before`, resolved findings resolved before it, and open ones not seen since. */
  prune(before: Date): Promise<{ runs: number; findings: number }>;
}

export interface ResolvedFinding {
  id: string;
  resolution: Resolution;
}

/** Why a record resolved, for people; a record resolved without a reason was simply no longer found. */
export function resolutionText(r: Pick<FindingRecord, 'resolution'>): string {
  return r.resolution?.text ?? 'no longer found';
}

/** The comment a resolved finding's Jira ticket gets as it moves to Done. */
export function resolutionComment(r: FindingRecord): string {
  const f = r.finding;
  return `Resolved by aws-user on ${r.resolvedAt ?? 'its last scan'}: ${resolutionText(r)}. The scan of ${f.accountName} (${f.accountId}) no longer finds ${f.type} for ${f.userName} (finding ${f.id}, open since ${r.firstSeen}).`;
}

export const emptyCounts = (): SeverityCounts => ({ HIGH: 0, MEDIUM: 0, LOW: 0 });

export function countBySeverity(findings: readonly Pick<Finding, 'severity'>[]): SeverityCounts {
  const c = emptyCounts();
  for (const f of findings) c[f.severity]++;
  return c;
}

/** Only the thresholds decide whether a finding exists; severities and controls only label it. */
export function settingsKey(s: Pick<InactivitySettings, 'console_days' | 'access_key_days'>): string {
  return `console_days=${s.console_days},access_key_days=${s.access_key_days}`;
}

function day(raw: string): string | undefined {
  const v = readValue(raw);
  return v.kind === 'date' ? v.date.toISOString().slice(0, 10) : undefined;
}

/**
 * Why an OPEN finding is absent from a complete scan, read off that scan's row for its user (undefined: the
 * user is not in the report). Only what the report shows is claimed; otherwise it says the finding no
 * longer meets the thresholds, naming a threshold change when there was one.
 */
export function resolutionOf(
  prior: FindingRecord,
  row: CredentialReportRow | undefined,
  settings: string,
): Resolution {
  const f = prior.finding;
  if (!row) return { reason: 'user-deleted', text: `IAM user ${f.userName} no longer exists (deleted)` };
  const fallback = (): Resolution =>
    prior.settings !== settings
      ? {
          reason: 'threshold-changed',
          text: `no longer past the thresholds, which changed (${prior.settings} → ${settings})`,
        }
      : { reason: 'no-longer-inactive', text: 'no longer past the inactivity threshold' };
  if (f.key) {
    const n = f.key.slot === 'access_key_1' ? 1 : 2;
    const k = keyColumns(row, f.key.slot);
    const rotated = readValue(k.rotated);
    const sameKey = rotated.kind === 'date' && rotated.date.toISOString() === f.key.createdAt;
    if (!sameKey && f.key.createdAt !== 'unknown')
      return {
        reason: 'key-deleted',
        text: `access key ${n} (created ${f.key.createdAt.slice(0, 10)}) was deleted or replaced`,
      };
    if (!isTrue(k.active)) return { reason: 'key-deactivated', text: `access key ${n} was deactivated` };
    const used = day(k.used);
    if (used) return { reason: 'key-used', text: `access key ${n} was used again on ${used}` };
    return fallback();
  }
  if (!isTrue(row.password_enabled))
    return { reason: 'console-removed', text: 'console access (login profile) was removed' };
  const used = day(row.password_last_used);
  if (used && used !== day(f.lastLogin))
    return { reason: 'signed-in', text: `signed in to the console again on ${used}` };
  return fallback();
}

/**
 * The findings of one account that a complete scan resolves: the OPEN ones it did not see. Nothing when any
 * row of the report could not be read: its first cell is only a hint at the user, so any user's findings
 * might be behind it, and an unread user is not a deleted one.
 */
export function resolvedIn(
  prior: readonly FindingRecord[],
  current: readonly Finding[],
  rows: readonly CredentialReportRow[],
  unreadable: readonly UnreadableRow[],
  settings: string,
): ResolvedFinding[] {
  if (prior.length === 0 || unreadable.length > 0) return [];
  const seen = new Set(current.map((f) => f.id));
  const byUser = new Map(rows.map((r) => [r.user, r]));
  return prior
    .filter((p) => !seen.has(p.finding.id))
    .map((p) => ({
      id: p.finding.id,
      resolution: resolutionOf(p, byUser.get(p.finding.userName), settings),
    }));
}

/**
 * What `record` does, over any store's read and write of single records, so every store applies the same
 * rules: a finding seen now is OPEN (new, continued, or opened again after it resolved); an OPEN finding
 * the run resolved becomes RESOLVED. A run older than what a record already shows (two scans that
 * overlapped, finishing out of order) moves nothing back.
 */
export function applyRun(
  input: RecordRunInput,
  get: (id: string) => FindingRecord | undefined,
  put: (record: FindingRecord) => void,
): RecordRunResult {
  const { at, settings } = input.run;
  const opened: string[] = [];
  const firstSeen = new Map<string, string>();
  for (const f of input.findings) {
    const existing = get(f.id);
    if (existing && existing.lastSeen > at) {
      firstSeen.set(f.id, existing.firstSeen);
      continue;
    }
    const record = seenAgain(existing, f, at, settings);
    put(record);
    if (existing?.status !== 'OPEN') opened.push(f.id);
    firstSeen.set(f.id, record.firstSeen);
  }
  const resolved: FindingRecord[] = [];
  for (const r of input.resolved) {
    const existing = get(r.id);
    if (existing?.status !== 'OPEN' || existing.lastSeen > at || firstSeen.has(r.id)) continue;
    const record: FindingRecord = {
      ...existing,
      finding: { ...existing.finding, status: 'RESOLVED' },
      status: 'RESOLVED',
      resolvedAt: at,
      resolution: r.resolution,
    };
    put(record);
    resolved.push(record);
  }
  return {
    run: { ...input.run, opened: opened.length, resolved: resolved.length },
    opened,
    resolved,
    firstSeen,
  };
}

function seenAgain(
  existing: FindingRecord | undefined,
  f: Finding,
  at: string,
  settings: string,
): FindingRecord {
  if (existing?.status === 'OPEN') return { ...existing, finding: f, lastSeen: at, settings };
  const history =
    existing?.resolvedAt && existing.resolution
      ? [
          ...(existing.history ?? []),
          {
            firstSeen: existing.firstSeen,
            resolvedAt: existing.resolvedAt,
            reason: existing.resolution.reason,
          },
        ]
      : existing?.history;
  return {
    finding: f,
    status: 'OPEN',
    firstSeen: at,
    lastSeen: at,
    settings,
    ...(history?.length ? { history } : {}),
  };
}

/** One run's findings by severity over a set of accounts: a point of the trend chart. */
export interface RunCounts {
  runId: string;
  at: string;
  counts: SeverityCounts;
  /** Some account of the set could not be scanned in this run: its counts are a lower bound. */
  partial: boolean;
}

/**
 * The trend over `scope`: the last `limit` runs that scanned every account in it (a run of one account
 * would read as a drop across all of them), oldest first, counting only the accounts in scope.
 */
export function trendOf(runs: readonly ScanRun[], scope: readonly string[], limit: number): RunCounts[] {
  const points: RunCounts[] = [];
  for (const run of [...runs].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))) {
    const byId = new Map(run.accounts.map((a) => [a.id, a]));
    if (scope.length === 0 || !scope.every((id) => byId.has(id))) continue;
    const counts = emptyCounts();
    let partial = false;
    for (const id of scope) {
      const a = byId.get(id) as ScanRunAccount;
      if (!a.ok) partial = true;
      for (const s of ['HIGH', 'MEDIUM', 'LOW'] as const) counts[s] += a.counts[s];
    }
    points.push({ runId: run.id, at: run.at, counts, partial });
    if (points.length === limit) break;
  }
  return points.reverse();
}
