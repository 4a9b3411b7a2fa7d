import { describe, expect, it } from 'vitest';
import { type CredentialReportRow, isTrue } from '../../../src/core/detect/credential-report.js';
import { analyze, type InactivitySettings } from '../../../src/core/detect/inactivity.js';
import type { AccountScan, ScannedUser, ScanResult } from '../../../src/core/detect/scan.js';
import { buildSnapshot, IC_EVIDENCE_NOTE, type IcScope } from '../../../src/core/review/snapshot.js';
import type { ReviewItem } from '../../../src/core/review/types.js';
import { ACCOUNT, daysAgo, NOW, row, SETTINGS } from '../../helpers/credential-report.js';

/**
 * The frozen scope over hand-made scans: the findings come from the real analyze() over the same rows, as
 * in a scan, so "unused" is exactly the inactivity analysis at the given thresholds.
 */

interface Extra {
  groups?: string[];
  managedPolicies?: string[];
  inlinePolicies?: string[];
  tags?: Record<string, string>;
}

function user(r: CredentialReportRow, x: Extra = {}): ScannedUser {
  return {
    userName: r.user,
    createdAt: r.user_creation_time,
    passwordEnabled: isTrue(r.password_enabled),
    passwordLastUsed: r.password_last_used,
    passwordNextRotation: r.password_next_rotation,
    mfa: isTrue(r.mfa_active),
    keys: [
      {
        slot: 1,
        active: isTrue(r.access_key_1_active),
        lastRotated: r.access_key_1_last_rotated,
        lastUsed: r.access_key_1_last_used_date,
      },
      {
        slot: 2,
        active: isTrue(r.access_key_2_active),
        lastRotated: r.access_key_2_last_rotated,
        lastUsed: r.access_key_2_last_used_date,
      },
    ],
    groups: x.groups ?? [],
    managedPolicies: x.managedPolicies ?? [],
    inlinePolicies: x.inlinePolicies ?? [],
    tags: x.tags ?? {},
  };
}

function account(
  ref: { id: string; name: string },
  users: [CredentialReportRow, Extra?][],
  settings: InactivitySettings = SETTINGS,
  over: Partial<AccountScan> = {},
): AccountScan {
  const rows = users.map(([r]) => ({ ...r, arn: `arn:aws:iam::${ref.id}:user/${r.user}` }));
  return {
    accountId: ref.id,
    accountName: ref.name,
    region: 'us-east-1',
    ok: true,
    complete: true,
    generatedAt: new Date(NOW.getTime() - 3_600_000),
    userCount: rows.length,
    findings: analyze(ref, rows, new Map(), NOW, settings),
    iamCalls: 2,
    users: users.map(([r, x]) => user(r, x)),
    unreadableRows: [],
    ...over,
  };
}

function scanOf(accounts: AccountScan[], settings: InactivitySettings = SETTINGS): ScanResult {
  return { analysisDate: NOW, settings, accounts, findings: accounts.flatMap((a) => a.findings) };
}

const line = (i: ReviewItem) =>
  `${i.account} ${i.principal.name} ${i.entitlement.kind} ${i.entitlement.name}`;
const OTHER = { id: '000000000001', name: 'sandbox' };

describe('buildSnapshot', () => {
  it('makes one item per entitlement, in account, person, kind and name order, numbered from 1', () => {
    const bob = row({
      user: 'bob',
      password_enabled: 'true',
      password_last_used: daysAgo(3),
      access_key_1_active: 'true',
      access_key_1_last_rotated: daysAgo(50),
      access_key_1_last_used_date: daysAgo(1),
      access_key_2_active: 'false', // an inactive key grants nothing: no item
      access_key_2_last_rotated: daysAgo(400),
    });
    const result = scanOf([
      account(ACCOUNT, [
        [
          bob,
          {
            groups: ['zeta', 'alpha'],
            managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
            inlinePolicies: ['s3-logs'],
            tags: { Email: 'bob@example.com', Manager: 'carol@example.com', SlackUserId: 'UBOB' },
          },
        ],
        [row({ user: 'alice' }), { groups: ['ops'] }],
      ]),
      account(OTHER, [[row({ user: 'zed' }), { inlinePolicies: ['x'] }]]),
    ]);

    const { items, accounts } = buildSnapshot('rv-0000abcd', result);

    expect(items.map(line)).toEqual([
      '000000000001 zed inline-policy x',
      '111111111111 alice group ops',
      '111111111111 bob console console',
      '111111111111 bob access-key access key 1',
      '111111111111 bob group alpha',
      '111111111111 bob group zeta',
      '111111111111 bob managed-policy arn:aws:iam::aws:policy/ReadOnlyAccess',
      '111111111111 bob inline-policy s3-logs',
    ]);
    expect(items.map((i) => [i.seq, i.id, i.campaignId])).toEqual(
      items.map((_, n) => [n + 1, `rv-0000abcd.${n + 1}`, 'rv-0000abcd']),
    );
    const key = items.find((i) => i.entitlement.kind === 'access-key');
    expect(key).toMatchObject({
      accountName: 'security',
      principal: {
        kind: 'iam-user',
        name: 'bob',
        email: 'bob@example.com',
        managerEmail: 'carol@example.com',
        slackUserId: 'UBOB',
      },
      ownerSlackId: 'UBOB',
      entitlement: { keySlot: 1, keyCreatedAt: new Date(daysAgo(50)).toISOString() },
      evidence: {
        lastUsed: new Date(daysAgo(1)).toISOString(),
        lastUsedOf: 'access key 1',
        unused: false,
      },
    });
    // A group carries the person's latest use of any credential.
    expect(items.find((i) => i.entitlement.name === 'alpha')?.evidence).toMatchObject({
      lastUsed: new Date(daysAgo(1)).toISOString(),
      lastUsedOf: 'any credential',
      unused: false,
    });
    // No tags: nothing invented.
    expect(items[1]?.principal).toEqual({ kind: 'iam-user', name: 'alice' });
    expect(items[1]?.ownerSlackId).toBeUndefined();
    expect(accounts).toEqual([
      { id: ACCOUNT.id, name: 'security', ok: true, reportGeneratedAt: '2026-05-31T23:00:00.000Z' },
      { id: OTHER.id, name: 'sandbox', ok: true, reportGeneratedAt: '2026-05-31T23:00:00.000Z' },
    ]);
  });

  it('reads N/A and no_information as the inactivity analysis does', () => {
    const result = scanOf([
      account(ACCOUNT, [
        // Console never used (N/A) by a user created 1,000 days ago.
        [row({ user: 'a-never', password_enabled: 'true', password_last_used: 'N/A' })],
        // no_information for a user created before 2014-10-20: not used since then, not "never".
        [
          row({
            user: 'b-old',
            user_creation_time: '2013-05-01T00:00:00+00:00',
            password_enabled: 'true',
            password_last_used: 'no_information',
          }),
        ],
        // Key N/A: created before 2015-04-22 may have been used before tracking; a newer one never was.
        [
          row({
            user: 'c-keys',
            user_creation_time: '2014-01-01T00:00:00+00:00',
            access_key_1_active: 'true',
            access_key_1_last_rotated: '2014-02-01T00:00:00+00:00',
            access_key_1_last_used_date: 'N/A',
            access_key_2_active: 'true',
            access_key_2_last_rotated: daysAgo(300),
            access_key_2_last_used_date: 'N/A',
          }),
        ],
      ]),
    ]);
    const ev = Object.fromEntries(
      buildSnapshot('rv-1', result).items.map((i) => [
        `${i.principal.name}:${i.entitlement.name}`,
        i.evidence,
      ]),
    );
    expect(ev['a-never:console']).toEqual({
      lastUsedOf: 'console sign-in',
      neverUsed: true,
      unused: true,
      createdAt: new Date(daysAgo(1000)).toISOString(),
    });
    expect(ev['b-old:console']).toMatchObject({ unused: true });
    expect(ev['b-old:console']?.neverUsed).toBeUndefined();
    expect(ev['b-old:console']?.note).toMatch(/since 2014-10-20/);
    expect(ev['c-keys:access key 1']?.neverUsed).toBeUndefined();
    expect(ev['c-keys:access key 1']).toMatchObject({
      unused: true,
      note: expect.stringMatching(/2015-04-22/),
    });
    expect(ev['c-keys:access key 2']).toMatchObject({ neverUsed: true, unused: true });
    expect(ev['c-keys:access key 2']?.lastUsed).toBeUndefined();
  });

  it('judges unused at the scan thresholds; a credential or person younger than them is not unused', () => {
    const users: [CredentialReportRow, Extra?][] = [
      // Console last used 100 days ago, key 2 used yesterday.
      [
        row({
          user: 'mixed',
          password_enabled: 'true',
          password_last_used: daysAgo(100),
          access_key_2_active: 'true',
          access_key_2_last_rotated: daysAgo(500),
          access_key_2_last_used_date: daysAgo(1),
        }),
        { groups: ['g'] },
      ],
      // Everything stale: the person's groups are unused too.
      [row({ user: 'stale', password_enabled: 'true', password_last_used: daysAgo(400) }), { groups: ['g'] }],
      // Created 10 days ago, never signed in: not yet unused.
      [row({ user: 'young', user_creation_time: daysAgo(10), password_enabled: 'true' }), { groups: ['g'] }],
      // No credential at all: the access is unusable; unused once older than the shorter threshold.
      [row({ user: 'nocred-old' }), { groups: ['g'] }],
      [row({ user: 'nocred-new', user_creation_time: daysAgo(30) }), { groups: ['g'] }],
    ];
    const unusedAt = (console_days: number) => {
      const settings = { ...SETTINGS, console_days };
      const { items } = buildSnapshot('rv-1', scanOf([account(ACCOUNT, users, settings)], settings));
      return Object.fromEntries(
        items.map((i) => [`${i.principal.name}:${i.entitlement.name}`, i.evidence.unused]),
      );
    };
    expect(unusedAt(90)).toEqual({
      'mixed:console': true,
      'mixed:access key 2': false,
      'mixed:g': false,
      'nocred-new:g': false,
      'nocred-old:g': true,
      'stale:console': true,
      'stale:g': true,
      'young:console': false,
      'young:g': false,
    });
    // At 120 days the console used 100 days ago is in use again.
    expect(unusedAt(120)).toMatchObject({
      'mixed:console': false,
      'stale:console': true,
      'nocred-new:g': false,
    });
    // Below 30 days even the 30-day-old person without credentials is past the shorter threshold.
    const settings = { ...SETTINGS, console_days: 20, access_key_days: 25 };
    const { items } = buildSnapshot('rv-1', scanOf([account(ACCOUNT, users, settings)], settings));
    const nocred = items.find((i) => i.principal.name === 'nocred-new');
    expect(nocred?.evidence).toMatchObject({
      unused: true,
      neverUsed: true,
      note: expect.stringMatching(/no active credential/),
    });
  });

  it('records a failed account and unreadable rows instead of dropping them', () => {
    const failed: AccountScan = {
      accountId: '222222222222',
      accountName: 'prod',
      region: 'us-east-1',
      ok: false,
      error: { code: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole' },
      userCount: 0,
      findings: [],
      iamCalls: 0,
    };
    const partial = account(ACCOUNT, [[row({ user: 'ok' }), { groups: ['g'] }]], SETTINGS, {
      complete: false,
      unreadableRows: [{ line: 3, user: 'o', reason: '23 cells where the header has 22' }],
    });
    const { items, accounts } = buildSnapshot('rv-1', scanOf([partial, failed]));
    expect(items.map((i) => i.account)).toEqual([ACCOUNT.id]);
    expect(accounts[1]).toEqual({
      id: '222222222222',
      name: 'prod',
      ok: false,
      error: 'AccessDenied: not authorized to perform sts:AssumeRole; its IAM users are not in this campaign',
    });
    expect(accounts[0]).toMatchObject({ ok: true, reportGeneratedAt: expect.any(String) });
    expect(accounts[0]?.error).toBe(
      '1 credential report row(s) could not be read; those users are not in this campaign: line 3 (user "o"): 23 cells where the header has 22',
    );
  });

  it('adds Identity Center assignments of the accounts in scope, and names what could not be read', () => {
    const ic: IcScope = {
      assignments: [
        {
          account: ACCOUNT.id,
          permissionSetArn: 'arn:ps/Admin',
          permissionSetName: 'Admin',
          user: { id: 'u-1', userName: 'bob', email: 'bob@example.com' },
        },
        {
          account: '999999999999', // not in the campaign
          permissionSetArn: 'arn:ps/Admin',
          permissionSetName: 'Admin',
          user: { id: 'u-1', userName: 'bob' },
        },
      ],
      errors: [{ account: OTHER.id, error: 'AccessDenied' }, { error: 'permission set arn:ps/X: throttled' }],
    };
    const result = scanOf([
      account(ACCOUNT, [[row({ user: 'bob' }), { groups: ['g'] }]]),
      account(OTHER, []),
    ]);
    const { items, accounts } = buildSnapshot('rv-1', result, ic);
    expect(items.map(line)).toEqual(['111111111111 bob group g', '111111111111 bob permission-set Admin']);
    expect(items[1]).toMatchObject({
      principal: { kind: 'identity-center-user', name: 'bob', id: 'u-1', email: 'bob@example.com' },
      entitlement: { kind: 'permission-set', name: 'Admin', permissionSetArn: 'arn:ps/Admin' },
      evidence: { unused: false, note: IC_EVIDENCE_NOTE },
    });
    expect(accounts[0]?.error).toBe(
      'Identity Center assignments could not be read: permission set arn:ps/X: throttled',
    );
    expect(accounts[1]?.error).toBe(
      'Identity Center assignments could not be read: AccessDenied; Identity Center assignments could not be read: permission set arn:ps/X: throttled',
    );
  });
});
