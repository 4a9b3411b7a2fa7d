import { describe, expect, it } from 'vitest';
import { historyText } from '../../../src/core/detect/findings-report.js';
import {
  type FindingRecord,
  resolutionOf,
  resolvedIn,
  settingsKey,
  trendOf,
} from '../../../src/core/detect/history.js';
import { analyze } from '../../../src/core/detect/inactivity.js';
import { ACCOUNT, daysAgo, NOW, row, SETTINGS } from '../../helpers/credential-report.js';
import { expectAligned } from '../../helpers/text-columns.js';

const KEY = settingsKey(SETTINGS);

/** What history holds for the findings `rows` gave on an earlier scan. */
function openRecords(rows: Parameters<typeof analyze>[1]): FindingRecord[] {
  return analyze(ACCOUNT, rows, new Map(), NOW, SETTINGS).map((finding) => ({
    finding,
    status: 'OPEN',
    firstSeen: '2026-05-01T00:00:00.000Z',
    lastSeen: '2026-05-01T00:00:00.000Z',
    settings: KEY,
  }));
}

const idle = row({
  user: 'idle',
  password_enabled: 'true',
  password_last_used: daysAgo(200),
  access_key_1_active: 'true',
  access_key_1_last_rotated: daysAgo(400),
  access_key_1_last_used_date: daysAgo(300),
});

describe('why a finding resolved, read off the scan that no longer sees it', () => {
  const [consoleF, keyF] = openRecords([idle]).sort((a, b) => (a.finding.key ? 1 : b.finding.key ? -1 : 0));
  const c = consoleF as FindingRecord;
  const k = keyF as FindingRecord;

  it('the user is gone', () => {
    expect(resolutionOf(c, undefined, KEY)).toEqual({
      reason: 'user-deleted',
      text: 'IAM user idle no longer exists (deleted)',
    });
    expect(resolutionOf(k, undefined, KEY).reason).toBe('user-deleted');
  });

  it('console: the login profile was removed, or the user signed in again', () => {
    expect(resolutionOf(c, { ...idle, password_enabled: 'false' }, KEY).reason).toBe('console-removed');
    expect(resolutionOf(c, { ...idle, password_last_used: daysAgo(1) }, KEY)).toEqual({
      reason: 'signed-in',
      text: `signed in to the console again on ${daysAgo(1).slice(0, 10)}`,
    });
  });

  it('access key: deleted or replaced, deactivated, or used again', () => {
    expect(resolutionOf(k, { ...idle, access_key_1_active: 'false' }, KEY).reason).toBe('key-deactivated');
    expect(
      resolutionOf(k, { ...idle, access_key_1_last_rotated: daysAgo(1), access_key_1_active: 'true' }, KEY)
        .reason,
    ).toBe('key-deleted');
    expect(
      resolutionOf(k, { ...idle, access_key_1_last_rotated: 'N/A', access_key_1_active: 'false' }, KEY),
    ).toMatchObject({ reason: 'key-deleted', text: expect.stringContaining('access key 1 (created ') });
    expect(resolutionOf(k, { ...idle, access_key_1_last_used_date: daysAgo(2) }, KEY)).toEqual({
      reason: 'key-used',
      text: `access key 1 was used again on ${daysAgo(2).slice(0, 10)}`,
    });
  });

  it('nothing in the report explains it: the thresholds changed, or it is simply no longer past them', () => {
    expect(resolutionOf(c, idle, KEY).reason).toBe('no-longer-inactive');
    expect(resolutionOf(c, idle, 'console_days=365,access_key_days=180')).toEqual({
      reason: 'threshold-changed',
      text: `no longer past the thresholds, which changed (${KEY} → console_days=365,access_key_days=180)`,
    });
  });
});

describe('which findings a scan of one account resolves', () => {
  const other = row({ user: 'other', password_enabled: 'true', password_last_used: daysAgo(120) });
  const prior = openRecords([idle, other]);

  it('the open ones it did not see, each with its reason; the ones it saw stay open', () => {
    const nowRows = [other]; // idle was deleted
    const current = analyze(ACCOUNT, nowRows, new Map(), NOW, SETTINGS);
    const resolved = resolvedIn(prior, current, nowRows, [], KEY);
    expect(resolved.map((r) => r.resolution.reason)).toEqual(['user-deleted', 'user-deleted']);
    expect(resolved.map((r) => r.id).sort()).toEqual(
      prior
        .filter((p) => p.finding.userName === 'idle')
        .map((p) => p.finding.id)
        .sort(),
    );
  });

  it('nothing when a row of the report could not be read: it may be any user', () => {
    const current = analyze(ACCOUNT, [other], new Map(), NOW, SETTINGS);
    expect(resolvedIn(prior, current, [other], [{ line: 3, user: 'idle', reason: 'bad' }], KEY)).toEqual([]);
    expect(resolvedIn(prior, current, [other], [{ line: 3, user: '', reason: 'bad' }], KEY)).toEqual([]);
  });
});

describe('the trend over a set of accounts', () => {
  const acct = (id: string, HIGH: number, ok = true) => ({
    id,
    name: id,
    ok,
    complete: ok,
    users: 1,
    counts: { HIGH, MEDIUM: 1, LOW: 0 },
  });
  const runAt = (day: number, accounts: ReturnType<typeof acct>[]) => ({
    id: `r${day}`,
    source: 'cli' as const,
    at: new Date(Date.UTC(2026, 0, day)).toISOString(),
    settings: KEY,
    accounts,
    counts: { HIGH: 0, MEDIUM: 0, LOW: 0 },
    opened: 0,
    resolved: 0,
  });

  it('keeps the last N runs that covered every account in scope, oldest first, counting only those', () => {
    const runs = [
      runAt(1, [acct('a', 5), acct('b', 1)]),
      runAt(2, [acct('a', 4)]), // b not scanned: not a point of the a+b trend
      runAt(3, [acct('a', 3), acct('b', 2, false), acct('c', 100)]),
      runAt(4, [acct('b', 0), acct('a', 1)]),
    ];
    expect(trendOf(runs, ['a', 'b'], 12)).toEqual([
      { runId: 'r1', at: runs[0]?.at, counts: { HIGH: 6, MEDIUM: 2, LOW: 0 }, partial: false },
      { runId: 'r3', at: runs[2]?.at, counts: { HIGH: 5, MEDIUM: 2, LOW: 0 }, partial: true },
      { runId: 'r4', at: runs[3]?.at, counts: { HIGH: 1, MEDIUM: 2, LOW: 0 }, partial: false },
    ]);
    expect(trendOf(runs, ['a'], 2).map((p) => p.runId)).toEqual(['r3', 'r4']);
    expect(trendOf(runs, [], 12)).toEqual([]);
  });
});

describe('the history lines under the scan text', () => {
  it('counts what changed and lists the resolved findings in an aligned table', () => {
    const prior = openRecords([idle]);
    const resolved = prior.map((p, i) => ({
      ...p,
      finding: { ...p.finding, userName: i ? 'zoë-日本' : 'idle', status: 'RESOLVED' as const },
      status: 'RESOLVED' as const,
      resolvedAt: '2026-06-01T00:00:00.000Z',
      resolution: resolutionOf(p, undefined, KEY),
    }));
    const result = {
      analysisDate: NOW,
      settings: SETTINGS,
      accounts: [],
      findings: [],
      history: {
        run: {
          id: 'r2',
          source: 'cli' as const,
          at: NOW.toISOString(),
          settings: KEY,
          accounts: [],
          counts: { HIGH: 0, MEDIUM: 0, LOW: 0 },
          opened: 0,
          resolved: 2,
        },
        previous: {
          id: 'r1',
          source: 'digest' as const,
          at: '2026-05-01T00:00:00.000Z',
          settings: KEY,
          accounts: [],
          counts: { HIGH: 1, MEDIUM: 1, LOW: 0 },
          opened: 2,
          resolved: 0,
        },
        opened: new Set<string>(),
        resolved,
        firstSeen: new Map<string, string>(),
      },
    };
    const counted = historyText(result, undefined);
    expect(counted).toBe(
      '\nHistory: 0 new, 2 resolved since the previous run (2026-05-01T00:00:00.000Z, digest); list them with --include-resolved\n',
    );
    const listed = historyText(result, resolved);
    expectAligned(listed, 'Severity  Account  User', 2);
    expect(listed).toContain('IAM user idle no longer exists (deleted)');
    expect(historyText({ ...result, history: undefined, historyError: '--no-history' }, undefined)).toBe(
      'History: not recorded (--no-history)\n',
    );
  });
});
