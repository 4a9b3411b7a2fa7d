import { describe, expect, it } from 'vitest';
import { findingsText } from '../../../src/core/detect/findings-report.js';
import { analyze } from '../../../src/core/detect/inactivity.js';
import { reportText, type TypedReport } from '../../../src/core/detect/reports.js';
import type { ScanResult } from '../../../src/core/detect/scan.js';
import { clipCell, textTable } from '../../../src/core/text-table.js';
import { NOW, row, SETTINGS } from '../../helpers/credential-report.js';
import { expectAligned, tableLines } from '../../helpers/text-columns.js';

const settings = SETTINGS;
/** IAM's longest user name: it must stay whole, and still line up. */
const LONG_USER = `${'x'.repeat(60)}.doe`;

/** A console user who never signed in, created 1,000 days before the fixture's NOW. */
const neverSignedIn = (user: string) => row({ user, password_enabled: 'true' });

function scanResult(): ScanResult {
  const account = { id: '111111111111', name: 'sécurité-日本' };
  const findings = analyze(
    account,
    ['josé', '日本太郎', LONG_USER].map(neverSignedIn),
    new Map(),
    NOW,
    settings,
  );
  return {
    analysisDate: NOW,
    settings,
    findings,
    accounts: [
      {
        accountId: account.id,
        accountName: account.name,
        region: 'us-east-1',
        ok: true,
        generatedAt: new Date('2026-05-31T18:00:00Z'),
        userCount: 3,
        findings,
        iamCalls: 3,
      },
      {
        accountId: '222222222222',
        accountName: 'prod',
        region: 'eu-west-1',
        ok: false,
        error: { code: 'ACCOUNT_FAILED', message: 'AccessDenied' },
        userCount: 0,
        findings: [],
        iamCalls: 0,
      },
    ],
  };
}

describe('textTable', () => {
  it('lines up ASCII, accented and CJK cells and keeps a 64-character name whole', () => {
    const lines = textTable(
      ['User', 'Department', 'Note'],
      [
        ['bob', 'Engineering', 'a'],
        ['josé', '営業', 'b'],
        [LONG_USER, 'Café', 'c'],
      ],
      { indent: 2 },
    );
    expectAligned(lines.join('\n'), 'User', 3);
    expect(lines[4]).toContain(LONG_USER);
  });

  it('clips a long cell with … at the width cap, counting CJK as two columns', () => {
    expect(clipCell('a'.repeat(70), 64)).toBe(`${'a'.repeat(63)}…`);
    expect(clipCell('日本語'.repeat(30), 10)).toBe('日本語日…');
    expect(clipCell('short', 64)).toBe('short');
    const lines = textTable(['Name', 'Details'], [['y'.repeat(100), 'z'.repeat(300)]], { lastMaxWidth: 200 });
    expect(lines[2]).toBe(`${'y'.repeat(63)}…  ${'z'.repeat(199)}…`);
  });

  it('keeps each row on one line with no escape sequences, and shows empty cells as "-"', () => {
    const lines = textTable(['A', 'B', 'C'], [['two\nlines', '\u001b[31mred', '']]);
    expect(lines).toEqual(['A          B        C', '---------  -------  -', 'two lines  [31mred  -']);
  });
});

describe('findingsText', () => {
  it('lines up the accounts and the findings with accented, CJK and 64-character names', () => {
    const t = findingsText(scanResult());
    expectAligned(t, 'Account', 2);
    expectAligned(t, 'Severity', 3);
    const findings = tableLines(t, 'Severity').body.join('\n');
    for (const name of ['josé', '日本太郎', LONG_USER]) expect(findings).toContain(` ${name} `);
    expect(t).toMatch(
      /sécurité-日本 +111111111111 +3 +3 +2026-05-31T18:00:00.000Z +6 h 0 min +STALE: older than 4 h\n/,
    );
  });
});

describe('reportText', () => {
  const report: TypedReport = {
    type: 'cost',
    generated_at: NOW.toISOString(),
    accounts: [
      {
        id: '111111111111',
        name: 'sécurité-日本',
        users: 3,
        report_generated_at: '2026-05-31T22:00:00.000Z',
        report_age: '2 h 0 min',
        unreadable_rows: [],
      },
    ],
    accounts_failed: [{ id: '222222222222', name: 'prod', error: 'AccessDenied' }],
    summary: { users: 3, cost_centers: 2 },
    sections: {
      password_policy: [
        { account: '111111111111', name: 'sécurité-日本', compliant: false, problems: ['a', 'b'] },
      ],
    },
    columns: ['Account', 'CostCenter', 'Department', 'Users', 'Console_Users', 'Active_Keys'],
    rows: [
      ['111111111111', 'CC-100', 'Engineering', 2, 0, 2],
      ['111111111111', 'Café', '営業', 1, 1, 0],
      ['111111111111', '(untagged)', LONG_USER, 1, 0, 0],
    ],
  };

  it('lines up the accounts, the sections and the rows, and keeps the summary lines', () => {
    const t = reportText(report);
    expectAligned(t, 'Account  Id', 2);
    expectAligned(t, 'account', 1);
    expectAligned(t, 'Account  CostCenter', 3);
    expect(t).toMatch(/\n {2}users: 3\n {2}cost centers: 2\n/);
    expect(t).toMatch(/\n {2}prod +222222222222 .* FAILED — AccessDenied\n/);
    expect(t).toContain(' a; b');
  });
});
