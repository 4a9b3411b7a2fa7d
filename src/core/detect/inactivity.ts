import { createHash } from 'node:crypto';
import type { FindingType, Severity } from '../../config.js';
import { DAY_MS } from '../clock.js';
import { type CredentialReportRow, isTrue } from './credential-report.js';

/**
 * Pure analysis: credential-report rows + what we know of each user + now → findings. No I/O, so every rule
 * is tested on fixture rows. Report values are read as AWS documents them:
 * - `N/A`: no password / no key, or never used. For an access key it also means "last used before
 *   2015-04-22", when IAM began tracking key use: a key older than that is not "never used", only unused
 *   since then;
 * - `no_information` (password_last_used): not used since IAM began tracking sign-ins on 2014-10-20, which
 *   for a user created after that date means never used;
 * - `not_supported`: the field does not apply (root's password fields);
 * - booleans: documented as `TRUE`/`FALSE`, lower-case in real reports; read case-insensitively;
 * - the `<root_account>` row is not an IAM user and is skipped here (the security report looks at it).
 */

export type { FindingType, Severity };

export const FINDING_TYPES: readonly FindingType[] = [
  'CONSOLE_INACTIVE',
  'CONSOLE_NEVER_USED',
  'ACCESS_KEY_INACTIVE',
  'ACCESS_KEY_NEVER_USED',
];

export const DEFAULT_SEVERITIES: Record<FindingType, Severity> = {
  CONSOLE_INACTIVE: 'HIGH',
  CONSOLE_NEVER_USED: 'HIGH',
  ACCESS_KEY_INACTIVE: 'MEDIUM',
  ACCESS_KEY_NEVER_USED: 'MEDIUM',
};

export const DEFAULT_SOC2_CONTROLS: readonly string[] = ['CC6.1', 'CC6.2', 'CC6.3'];

const SEVERITY_RANK: Record<Severity, number> = { HIGH: 3, MEDIUM: 2, LOW: 1 };
export function severityAtLeast(s: Severity, min: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[min];
}

export const PASSWORD_TRACKING_START = new Date('2014-10-20T00:00:00Z');
export const KEY_TRACKING_START = new Date('2015-04-22T00:00:00Z');

export interface InactivitySettings {
  console_days: number;
  access_key_days: number;
  severities: Partial<Record<FindingType, Severity>>;
  soc2_controls: Partial<Record<FindingType, string[]>>;
}

/** What findings need from GetAccountAuthorizationDetails, reduced per user so a scan stays lean. */
export interface UserFacts {
  email?: string | undefined;
  department?: string | undefined;
  manager?: string | undefined;
}

export interface AccountRef {
  id: string;
  name: string;
}

export type KeySlot = 'access_key_1' | 'access_key_2';

export interface Finding {
  /** Stable across runs: hash of account, user, type and key (slot + the key's creation time). */
  id: string;
  accountId: string;
  accountName: string;
  userName: string;
  userArn: string;
  type: FindingType;
  severity: Severity;
  details: string;
  /** Shared per type across findings: never mutate. */
  controls: readonly string[];
  remediation: string;
  /** Set for access-key findings: which key, identified by slot and creation time (the report has no key id). */
  key?: { slot: KeySlot; createdAt: string } | undefined;
  /** Whole days since last use (or since creation when never used). */
  daysInactive: number;
  email: string;
  department: string;
  manager: string;
  createdDate: string;
  lastLogin: string;
  mfaEnabled: boolean;
  /** OPEN as a scan finds it; RESOLVED only as finding history reports it (history.ts). */
  status: FindingStatus;
}

export type FindingStatus = 'OPEN' | 'RESOLVED';

type ReportValue =
  | { kind: 'date'; date: Date }
  | { kind: 'na' }
  | { kind: 'no_information' }
  | { kind: 'not_supported' };

export function readValue(raw: string | undefined): ReportValue {
  const v = (raw ?? '').trim();
  const lower = v.toLowerCase();
  if (lower === '' || lower === 'n/a') return { kind: 'na' };
  if (lower === 'no_information') return { kind: 'no_information' };
  if (lower === 'not_supported') return { kind: 'not_supported' };
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? { kind: 'na' } : { kind: 'date', date: d };
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function daysBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / DAY_MS);
}

function dateOrUndefined(raw: string | undefined): Date | undefined {
  const v = readValue(raw);
  return v.kind === 'date' ? v.date : undefined;
}

function later(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

/**
 * A flat copy of `s` that does not pin its source. V8 keeps substrings of 13+ characters as views into
 * their parent, so a finding holding a user name cut from a 1 MB credential report (or an email from a 1 MB
 * XML page) would keep the whole buffer alive: across 200 accounts that is over a gigabyte. Findings outlive
 * the scan of their account, so their strings are detached. `' ' + s` sliced would be a view again (32 bytes
 * more per string, ~20 MB over 122,900 findings); a UTF-16 round trip copies every code unit exactly (lone
 * surrogates included) into one flat string.
 */
export function detach(s: string): string {
  return s.length < 13 ? ` ${s}`.slice(1) : Buffer.from(s, 'utf16le').toString('utf16le');
}

export function findingId(accountId: string, userName: string, type: FindingType, key?: string): string {
  const h = createHash('sha256')
    .update([accountId, userName, type, key ?? ''].join('\u0000'))
    .digest('hex');
  return `fnd-${h.slice(0, 16)}`;
}

const REMEDIATION: Record<FindingType, string> = {
  CONSOLE_INACTIVE:
    'Confirm with the manager whether console access is still needed; if not, delete the login profile (or offboard the user).',
  CONSOLE_NEVER_USED:
    'Console access was granted but never used: delete the login profile unless the owner confirms a need.',
  ACCESS_KEY_INACTIVE:
    'Deactivate the access key, wait for complaints, then delete it; rotate if it is still needed.',
  ACCESS_KEY_NEVER_USED:
    'The access key was never used: deactivate and delete it; issue a new one only on request.',
};

interface Candidate {
  type: FindingType;
  details: string;
  days: number;
  key?: { slot: KeySlot; createdAt: string };
}

function consoleCandidate(row: CredentialReportRow, now: Date, s: InactivitySettings): Candidate | undefined {
  if (!isTrue(row.password_enabled)) return undefined; // no password, or a disabled console
  const last = readValue(row.password_last_used);
  const threshold = s.console_days;
  if (last.kind === 'not_supported') return undefined;
  if (last.kind === 'date') {
    const days = daysBetween(last.date, now);
    if (days < threshold) return undefined;
    return {
      type: 'CONSOLE_INACTIVE',
      days,
      details: `Console password last used ${last.date.toISOString().slice(0, 10)} (${days} days ago; threshold ${threshold})`,
    };
  }
  const created = dateOrUndefined(row.user_creation_time);
  // no_information: not used since 2014-10-20. Only a user created after that date has certainly never used
  // it; for an older user, or one whose creation time cannot be read, it is inactive since 2014-10-20.
  if (last.kind === 'no_information' && !(created && created >= PASSWORD_TRACKING_START)) {
    const days = daysBetween(PASSWORD_TRACKING_START, now);
    if (days < threshold) return undefined;
    const since = created ? `user created ${isoDay(created)}` : 'user creation time unknown';
    return {
      type: 'CONSOLE_INACTIVE',
      days,
      details: `Console password not used since 2014-10-20 at least (${since}, before IAM began tracking sign-ins on 2014-10-20; ${days}+ days; threshold ${threshold})`,
    };
  }
  // Never used (N/A, or no_information for a user created after tracking began). The grace period runs from
  // when the password was set, since a console added to an old user has only just become usable.
  const since = later(created, dateOrUndefined(row.password_last_changed));
  if (!since) return undefined;
  const days = daysBetween(since, now);
  if (days < threshold) return undefined;
  return {
    type: 'CONSOLE_NEVER_USED',
    days,
    details: `Console password never used; enabled ${since.toISOString().slice(0, 10)} (${days} days ago; threshold ${threshold})`,
  };
}

/** One access-key slot's three report columns: whether it is active, its creation (rotation) time, its last use. */
export function keyColumns(
  row: CredentialReportRow,
  slot: KeySlot,
): { active: string; rotated: string; used: string } {
  return slot === 'access_key_1'
    ? {
        active: row.access_key_1_active,
        rotated: row.access_key_1_last_rotated,
        used: row.access_key_1_last_used_date,
      }
    : {
        active: row.access_key_2_active,
        rotated: row.access_key_2_last_rotated,
        used: row.access_key_2_last_used_date,
      };
}

function keyCandidate(
  row: CredentialReportRow,
  slot: KeySlot,
  now: Date,
  s: InactivitySettings,
): Candidate | undefined {
  const n = slot === 'access_key_1' ? 1 : 2;
  const k = keyColumns(row, slot);
  if (!isTrue(k.active)) return undefined; // no key, or an inactive one: nothing can use it
  const createdAt = dateOrUndefined(k.rotated);
  const key = { slot, createdAt: createdAt?.toISOString() ?? 'unknown' };
  const last = readValue(k.used);
  const threshold = s.access_key_days;
  if (last.kind === 'not_supported') return undefined;
  if (last.kind === 'date') {
    const days = daysBetween(last.date, now);
    if (days < threshold) return undefined;
    return {
      type: 'ACCESS_KEY_INACTIVE',
      days,
      key,
      details: `Access key ${n} last used ${last.date.toISOString().slice(0, 10)} (${days} days ago; threshold ${threshold})`,
    };
  }
  const since = createdAt ?? dateOrUndefined(row.user_creation_time);
  // AWS writes N/A both for a key never used and for one last used before 2015-04-22: a key that existed
  // before then may have been used, so it is reported as inactive since 2015-04-22, never as "never used".
  if (since && since < KEY_TRACKING_START) {
    const days = daysBetween(KEY_TRACKING_START, now);
    if (days < threshold) return undefined;
    const origin = createdAt ? `created ${isoDay(createdAt)}` : `user created ${isoDay(since)}`;
    return {
      type: 'ACCESS_KEY_INACTIVE',
      days,
      key,
      details: `Access key ${n} not used since 2015-04-22 at least (${origin}, before IAM began tracking key use on 2015-04-22; ${days}+ days; threshold ${threshold})`,
    };
  }
  if (!since) return undefined;
  const days = daysBetween(since, now);
  if (days < threshold) return undefined; // a new key is not yet "never used"
  return {
    type: 'ACCESS_KEY_NEVER_USED',
    days,
    key,
    details: `Access key ${n} never used; created ${since.toISOString().slice(0, 10)} (${days} days ago; threshold ${threshold})`,
  };
}

export function analyze(
  account: AccountRef,
  rows: readonly CredentialReportRow[],
  users: ReadonlyMap<string, UserFacts>,
  now: Date,
  settings: InactivitySettings,
): Finding[] {
  const findings: Finding[] = [];
  // Departments and managers repeat across thousands of findings: keep one copy of each.
  const interned = new Map<string, string>();
  const intern = (s: string): string => {
    let v = interned.get(s);
    if (v === undefined) {
      v = detach(s);
      interned.set(v, v);
    }
    return v;
  };
  for (const row of rows) {
    if (row.user === '<root_account>') continue;
    const candidates = [
      consoleCandidate(row, now, settings),
      keyCandidate(row, 'access_key_1', now, settings),
      keyCandidate(row, 'access_key_2', now, settings),
    ];
    if (!candidates[0] && !candidates[1] && !candidates[2]) continue;
    // One copy of the user's strings, shared by all of the user's findings.
    const facts = users.get(row.user) ?? {};
    const user = {
      name: detach(row.user),
      arn: detach(row.arn),
      email: detach(facts.email ?? ''),
      department: intern(facts.department ?? ''),
      manager: intern(facts.manager ?? ''),
      createdDate: detach(row.user_creation_time),
      lastLogin: detach(row.password_last_used),
      mfaEnabled: isTrue(row.mfa_active),
    };
    for (const c of candidates) {
      if (!c) continue;
      const keyId = c.key ? `${c.key.slot}@${c.key.createdAt}` : undefined;
      findings.push({
        id: detach(findingId(account.id, row.user, c.type, keyId)),
        accountId: account.id,
        accountName: account.name,
        userName: user.name,
        userArn: user.arn,
        type: c.type,
        severity: settings.severities[c.type] ?? DEFAULT_SEVERITIES[c.type],
        details: detach(c.details), // flattens the template's cons-string tree
        controls: settings.soc2_controls[c.type] ?? DEFAULT_SOC2_CONTROLS,
        remediation: REMEDIATION[c.type],
        key: c.key,
        daysInactive: c.days,
        email: user.email,
        department: user.department,
        manager: user.manager,
        createdDate: user.createdDate,
        lastLogin: user.lastLogin,
        mfaEnabled: user.mfaEnabled,
        status: 'OPEN',
      });
    }
  }
  return findings.sort(compareFindings);
}

/** HIGH first, then the longest-inactive, then by id so the order is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    b.daysInactive - a.daysInactive ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
