import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  findingsCsv,
  findingsCsvStream,
  findingsDocument,
  findingsJsonStream,
  findingsText,
} from '../../../src/core/detect/findings-report.js';
import { analyze } from '../../../src/core/detect/inactivity.js';
import type { ScanResult } from '../../../src/core/detect/scan.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const settings = { console_days: 90, access_key_days: 180, severities: {}, soc2_controls: {} };

function result(n: number): ScanResult {
  const rows = Array.from({ length: n }, (_, i) => ({
    user: i === 1 ? 'comma,"quote"' : `u${i}`,
    arn: `arn:aws:iam::111111111111:user/u${i}`,
    user_creation_time: '2020-01-01T00:00:00+00:00',
    password_enabled: 'true',
    password_last_used: 'N/A',
    password_last_changed: 'N/A',
    password_next_rotation: 'N/A',
    mfa_active: 'false',
    access_key_1_active: 'true',
    access_key_1_last_rotated: '2020-01-01T00:00:00+00:00',
    access_key_1_last_used_date: '2021-01-01T00:00:00+00:00',
    access_key_2_active: 'false',
    access_key_2_last_rotated: 'N/A',
    access_key_2_last_used_date: 'N/A',
  }));
  const findings = analyze({ id: '111111111111', name: 'sec' }, rows, new Map(), NOW, settings);
  return {
    analysisDate: NOW,
    settings,
    findings,
    accounts: [
      {
        accountId: '111111111111',
        accountName: 'sec',
        region: 'us-east-1',
        ok: true,
        generatedAt: new Date('2026-05-31T22:00:00Z'),
        userCount: n,
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

describe('findings reports', () => {
  it('streams the same CSV and JSON the in-memory builders make', async () => {
    for (const n of [0, 3]) {
      const r = result(n);
      expect(await text(findingsCsvStream(r))).toBe(findingsCsv(r));
      const streamed = JSON.parse(await text(findingsJsonStream(r, 'HIGH')));
      expect(streamed).toEqual(JSON.parse(JSON.stringify(findingsDocument(r, 'HIGH'))));
    }
  });

  it('defuses cells a spreadsheet would run as formulas (IAM names and tag values may start with = + - @)', () => {
    const r = result(3);
    const f = r.findings[0];
    if (!f) throw new Error('no finding');
    r.findings[0] = { ...f, userName: '=1+1', department: '+SUM(A1)', manager: '@boss', email: '-2' };
    const row = findingsCsv(r).split('\n')[1] ?? '';
    expect(row).toContain(",'=1+1,");
    expect(row).toContain(",'+SUM(A1),'@boss,");
    expect(row).toContain(",'-2,");
    expect(row).not.toMatch(/,[=+@-]/);
  });

  it('shows report ages and failed accounts in the text summary and the JSON', () => {
    const r = result(2);
    const t = findingsText(r);
    expect(t).toMatch(/\n {2}sec +111111111111 +2 +4 +2026-05-31T22:00:00.000Z +2 h 0 min +ok\n/);
    expect(t).toMatch(/\n {2}prod +222222222222 .* FAILED — AccessDenied\n/);
    const doc = findingsDocument(r, 'HIGH');
    expect(doc.accounts_failed).toEqual([
      {
        id: '222222222222',
        name: 'prod',
        region: 'eu-west-1',
        error: { code: 'ACCOUNT_FAILED', message: 'AccessDenied' },
      },
    ]);
    expect(doc.accounts_analyzed[0]?.report_age).toBe('2 h 0 min');
    expect(doc.summary).toEqual({ total_findings: 4, high_severity: 2, medium_severity: 2, low_severity: 0 });
  });
});
