import { DAY_MS } from '../clock.js';
import {
  type Finding,
  KEY_TRACKING_START,
  PASSWORD_TRACKING_START,
  readValue,
} from '../detect/inactivity.js';
import { type AccountScan, type ScannedUser, type ScanResult, unreadableText } from '../detect/scan.js';
import { PROFILE_TAG } from '../tags.js';
import type {
  CampaignAccount,
  EntitlementKind,
  ReviewEntitlement,
  ReviewEvidence,
  ReviewItem,
  ReviewPrincipal,
} from './types.js';

/**
 * The frozen scope of a campaign, pure: a scan (with per-user snapshots) and the Identity Center
 * assignments → one item per entitlement, with the evidence a reviewer decides on. Whether a credential is
 * "unused" is not judged again here: it is unused exactly when the scan's inactivity analysis (analyze())
 * found it inactive or never used at the campaign's thresholds, so the digest and the review never disagree.
 */

/** One account assignment of a permission set to an Identity Store user, as the campaign start read it. */
export interface IcAssignment {
  account: string;
  permissionSetArn: string;
  permissionSetName: string;
  user: { id: string; userName: string; email?: string | undefined };
}

export interface IcScope {
  assignments: readonly IcAssignment[];
  /** What could not be read: `account` absent means every account in scope (e.g. ListPermissionSets failed). */
  errors: readonly { account?: string; error: string }[];
}

export interface Snapshot {
  items: ReviewItem[];
  accounts: CampaignAccount[];
}

export const IC_EVIDENCE_NOTE =
  'IAM Identity Center keeps no last sign-in time; see CloudTrail sign-in events';

const KIND_ORDER: Record<EntitlementKind, number> = {
  console: 0,
  'access-key': 1,
  group: 2,
  'managed-policy': 3,
  'inline-policy': 4,
  'permission-set': 5,
};

/** How many unreadable rows an account's error names before "… and N more". */
const UNREADABLE_SHOWN = 5;

type Draft = Omit<ReviewItem, 'id' | 'campaignId' | 'seq'>;

const iso = (raw: string): string | undefined => {
  const v = readValue(raw);
  return v.kind === 'date' ? v.date.toISOString() : undefined;
};

const ageDays = (from: Date, now: Date): number => Math.floor((now.getTime() - from.getTime()) / DAY_MS);

/** Which credentials analyze() flagged: `console` and `key1`/`key2` per user. */
function flagged(findings: readonly Finding[]): Set<string> {
  const out = new Set<string>();
  for (const f of findings) {
    const what = f.key ? (f.key.slot === 'access_key_1' ? 'key1' : 'key2') : 'console';
    out.add(`${f.userName}\u0000${what}`);
  }
  return out;
}

function principalOf(u: ScannedUser): ReviewPrincipal {
  const tag = (k: string) => u.tags[k] || undefined;
  const email = tag(PROFILE_TAG.email) ?? tag(PROFILE_TAG.email.toLowerCase());
  const managerEmail = tag(PROFILE_TAG.manager);
  const slackUserId = tag(PROFILE_TAG.slackUserId);
  return {
    kind: 'iam-user',
    name: u.userName,
    ...(email ? { email } : {}),
    ...(managerEmail ? { managerEmail } : {}),
    ...(slackUserId ? { slackUserId } : {}),
  };
}

function consoleEvidence(u: ScannedUser, unused: boolean): ReviewEvidence {
  const createdAt = iso(u.createdAt);
  const last = readValue(u.passwordLastUsed);
  const e: ReviewEvidence = { lastUsedOf: 'console sign-in', unused, ...(createdAt ? { createdAt } : {}) };
  if (last.kind === 'date') return { ...e, lastUsed: last.date.toISOString() };
  if (last.kind === 'na') return { ...e, neverUsed: true };
  if (last.kind === 'no_information') {
    // As analyze() reads it: "not since 2014-10-20", which is "never" only for a user created after that.
    if (createdAt && new Date(createdAt) >= PASSWORD_TRACKING_START) return { ...e, neverUsed: true };
    return { ...e, note: 'not used since 2014-10-20 at least (IAM began tracking console sign-ins then)' };
  }
  return e;
}

function keyEvidence(u: ScannedUser, k: ScannedUser['keys'][number], unused: boolean): ReviewEvidence {
  const createdAt = iso(k.lastRotated) ?? iso(u.createdAt);
  const last = readValue(k.lastUsed);
  const e: ReviewEvidence = {
    lastUsedOf: `access key ${k.slot}`,
    unused,
    ...(createdAt ? { createdAt } : {}),
  };
  if (last.kind === 'date') return { ...e, lastUsed: last.date.toISOString() };
  if (last.kind !== 'na' && last.kind !== 'no_information') return e;
  // N/A also means "last used before 2015-04-22", when IAM began tracking key use.
  if (!createdAt || new Date(createdAt) < KEY_TRACKING_START)
    return { ...e, note: 'not used since 2015-04-22 at least (IAM began tracking access-key use then)' };
  return { ...e, neverUsed: true };
}

/**
 * A group's or a policy's evidence: the person's latest use of any credential. Unused when every credential
 * that could use it now is unused (each flagged by the analysis), or, with none at all, when the person is
 * older than the shorter threshold: access nobody can use is still access to certify.
 */
function personEvidence(
  u: ScannedUser,
  flags: ReadonlySet<string>,
  now: Date,
  thresholds: { console_days: number; access_key_days: number },
): ReviewEvidence {
  const createdAt = iso(u.createdAt);
  const uses = [u.passwordLastUsed, ...u.keys.map((k) => k.lastUsed)]
    .map(iso)
    .filter((x): x is string => x !== undefined)
    .sort();
  const lastUsed = uses.at(-1);
  const active = [
    ...(u.passwordEnabled ? ['console'] : []),
    ...u.keys.filter((k) => k.active).map((k) => `key${k.slot}`),
  ];
  const shorter = Math.min(thresholds.console_days, thresholds.access_key_days);
  const unused =
    active.length > 0
      ? active.every((c) => flags.has(`${u.userName}\u0000${c}`))
      : !createdAt || ageDays(new Date(createdAt), now) >= shorter;
  const e: ReviewEvidence = { lastUsedOf: 'any credential', unused, ...(createdAt ? { createdAt } : {}) };
  const none = active.length === 0 ? 'no active credential (no console password, no active access key)' : '';
  if (lastUsed) return { ...e, lastUsed, ...(none ? { note: none } : {}) };
  // Both sign-ins and key use are tracked since 2015-04-22: for a younger person no date means never.
  if (createdAt && new Date(createdAt) >= KEY_TRACKING_START)
    return { ...e, neverUsed: true, ...(none ? { note: none } : {}) };
  return {
    ...e,
    note: [none, 'no use recorded since IAM began tracking it (2014-10-20 sign-ins, 2015-04-22 keys)']
      .filter(Boolean)
      .join('; '),
  };
}

function iamDrafts(a: AccountScan, now: Date, thresholds: ScanResult['settings']): Draft[] {
  const flags = flagged(a.findings);
  const out: Draft[] = [];
  for (const u of a.users ?? []) {
    const principal = principalOf(u);
    const base = {
      account: a.accountId,
      accountName: a.accountName,
      principal,
      ...(principal.slackUserId ? { ownerSlackId: principal.slackUserId } : {}),
    };
    const add = (entitlement: ReviewEntitlement, evidence: ReviewEvidence) =>
      out.push({ ...base, entitlement, evidence });
    if (u.passwordEnabled)
      add({ kind: 'console', name: 'console' }, consoleEvidence(u, flags.has(`${u.userName}\u0000console`)));
    for (const k of u.keys) {
      if (!k.active) continue; // an inactive key grants nothing
      const createdAt = iso(k.lastRotated) ?? k.lastRotated;
      add(
        { kind: 'access-key', name: `access key ${k.slot}`, keySlot: k.slot, keyCreatedAt: createdAt },
        keyEvidence(u, k, flags.has(`${u.userName}\u0000key${k.slot}`)),
      );
    }
    const person = personEvidence(u, flags, now, thresholds);
    const named: [EntitlementKind, readonly string[]][] = [
      ['group', u.groups],
      ['managed-policy', u.managedPolicies],
      ['inline-policy', u.inlinePolicies],
    ];
    for (const [kind, names] of named) for (const name of names) if (name) add({ kind, name }, { ...person });
  }
  return out;
}

function icDrafts(ic: IcScope, names: ReadonlyMap<string, string>): Draft[] {
  return ic.assignments
    .filter((x) => names.has(x.account))
    .map((x) => ({
      account: x.account,
      accountName: names.get(x.account) ?? x.account,
      principal: {
        kind: 'identity-center-user' as const,
        name: x.user.userName,
        id: x.user.id,
        ...(x.user.email ? { email: x.user.email } : {}),
      },
      entitlement: {
        kind: 'permission-set' as const,
        name: x.permissionSetName,
        permissionSetArn: x.permissionSetArn,
      },
      evidence: { unused: false, note: IC_EVIDENCE_NOTE },
    }));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareDrafts(a: Draft, b: Draft): number {
  return (
    cmp(a.account, b.account) ||
    cmp(a.principal.name, b.principal.name) ||
    cmp(a.principal.kind, b.principal.kind) ||
    KIND_ORDER[a.entitlement.kind] - KIND_ORDER[b.entitlement.kind] ||
    cmp(a.entitlement.name, b.entitlement.name) ||
    cmp(a.entitlement.permissionSetArn ?? '', b.entitlement.permissionSetArn ?? '')
  );
}

function accountOf(a: AccountScan, icErrors: readonly string[]): CampaignAccount {
  const base = { id: a.accountId, name: a.accountName };
  if (!a.ok)
    return {
      ...base,
      ok: false,
      error: [
        `${a.error?.code ?? 'Error'}: ${a.error?.message ?? 'unknown error'}; its IAM users are not in this campaign`,
        ...icErrors,
      ].join('; '),
    };
  const unreadable = a.unreadableRows ?? [];
  const problems = [...icErrors];
  if (unreadable.length > 0)
    problems.unshift(
      `${unreadable.length} credential report row(s) could not be read; those users are not in this campaign: ${unreadable
        .slice(0, UNREADABLE_SHOWN)
        .map(unreadableText)
        .join(
          '; ',
        )}${unreadable.length > UNREADABLE_SHOWN ? `; … and ${unreadable.length - UNREADABLE_SHOWN} more` : ''}`,
    );
  return {
    ...base,
    ok: true,
    ...(problems.length ? { error: problems.join('; ') } : {}),
    ...(a.generatedAt ? { reportGeneratedAt: a.generatedAt.toISOString() } : {}),
  };
}

/**
 * The campaign's items (seq 1..n in account, person, entitlement order; id `<campaignId>.<seq>`) and its
 * accounts. A failed account has no IAM items and says why; unreadable report rows and Identity Center
 * listings that failed are named in the account's error, never dropped silently. Identity Center
 * assignments count for the accounts in scope only.
 */
export function buildSnapshot(
  campaignId: string,
  scan: Pick<ScanResult, 'analysisDate' | 'settings' | 'accounts'>,
  ic?: IcScope,
): Snapshot {
  const names = new Map(scan.accounts.map((a) => [a.accountId, a.accountName]));
  const drafts = [
    ...scan.accounts.flatMap((a) => (a.ok ? iamDrafts(a, scan.analysisDate, scan.settings) : [])),
    ...(ic ? icDrafts(ic, names) : []),
  ].sort(compareDrafts);
  const icErrorsOf = (account: string) =>
    (ic?.errors ?? [])
      .filter((e) => e.account === undefined || e.account === account)
      .map((e) => `Identity Center assignments could not be read: ${e.error.replace(/\s+/g, ' ')}`);
  return {
    items: drafts.map((d, i) => ({ ...d, id: `${campaignId}.${i + 1}`, campaignId, seq: i + 1 })),
    accounts: scan.accounts.map((a) => accountOf(a, icErrorsOf(a.accountId))),
  };
}
