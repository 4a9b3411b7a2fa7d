import { describe, expect, it } from 'vitest';
import {
  type CredentialReportRow,
  parseCredentialReport,
  readCredentialReport,
} from '../../../src/core/detect/credential-report.js';
import { analyze, type InactivitySettings } from '../../../src/core/detect/inactivity.js';

/**
 * Commas in user names. The credential report is CSV ("Credential reports are formatted as comma-separated
 * values (CSV) files", IAM User Guide, "Getting credential reports"), its `user` column is "The friendly
 * name of the user", and IAM names match [\w+=,.@-]+ (CreateUser): a name may hold a comma. AWS quotes such
 * a cell (RFC 4180); moto does not, which shifts every later column. The `arn` column ends with
 * user/<path><name>, which tells where the name really ends.
 */

const NOW = new Date('2026-06-01T00:00:00Z');
const ACCOUNT = { id: '111111111111', name: 'security' };
const SETTINGS: InactivitySettings = {
  console_days: 90,
  access_key_days: 180,
  severities: {},
  soc2_controls: {},
};

const run = (rows: CredentialReportRow[]) => analyze(ACCOUNT, rows, new Map(), NOW, SETTINGS);

const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
/** Everything after the arn: a console last used 2025-01-01, no key. 20 cells, as in the header. */
const REST =
  '2020-01-01T00:00:00+00:00,true,2025-01-01T00:00:00+00:00,2020-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';
const arn = (pathAndName: string) => `arn:aws:iam::111111111111:user/${pathAndName}`;

describe('commas in user names', () => {
  it('reads a moto-style unquoted row by the ARN, which ends with user/<path><name>', () => {
    const csv = [
      HEADER,
      `alice,${arn('alice')},${REST}`,
      `o,brien,${arn('o,brien')},${REST}`,
      `a,b,,c,${arn('team,x/a,b,,c')},${REST}`,
    ].join('\n');
    const parsed = readCredentialReport(csv);
    expect(parsed.unreadable).toEqual([]);
    expect(parsed.rows.map((r) => [r.user, r.arn, r.password_enabled])).toEqual([
      ['alice', arn('alice'), 'true'],
      ['o,brien', arn('o,brien'), 'true'],
      ['a,b,,c', arn('team,x/a,b,,c'), 'true'],
    ]);
    expect(
      run(parsed.rows)
        .map((f) => `${f.userName}:${f.type}`)
        .sort(),
    ).toEqual(['a,b,,c:CONSOLE_INACTIVE', 'alice:CONSOLE_INACTIVE', 'o,brien:CONSOLE_INACTIVE']);
  });

  it('reads AWS-style quoted cells (RFC 4180), and a moto-style row in the same file', () => {
    const csv = [
      HEADER,
      `"o,brien","${arn('o,brien')}",${REST}`,
      `"say ""hi""",${arn('say')},${REST}`,
      `x,y,${arn('x,y')},${REST}`,
    ].join('\r\n');
    const parsed = readCredentialReport(csv);
    expect(parsed.unreadable).toEqual([]);
    expect(parsed.rows.map((r) => [r.user, r.arn])).toEqual([
      ['o,brien', arn('o,brien')],
      ['say "hi"', arn('say')],
      ['x,y', arn('x,y')],
    ]);
  });

  it('reports a row that cannot be repaired as unreadable with its line, and reads the rest', () => {
    const csv = [
      HEADER,
      `alice,${arn('alice')},${REST}`,
      `shifted,${arn('shifted')},${REST},extra`,
      '',
      `short,${arn('short')},2020-01-01T00:00:00+00:00,true`,
      `bob,${arn('bob')},${REST}`,
    ].join('\n');
    for (const text of [csv, csv.replace('alice,', '"alice",')]) {
      const parsed = readCredentialReport(text);
      expect(parsed.rows.map((r) => r.user)).toEqual(['alice', 'bob']);
      expect(parsed.unreadable).toEqual([
        {
          line: 3,
          user: 'shifted',
          reason: '23 cells where the header has 22, and the ARN does not tell where the user name ends',
        },
        { line: 5, user: 'short', reason: '4 cells where the header has 22' },
      ]);
    }
  });

  it('parseCredentialReport keeps returning the readable rows only', () => {
    const csv = [HEADER, `o,brien,${arn('o,brien')},${REST}`, `bad,${arn('bad')}`].join('\n');
    expect(parseCredentialReport(csv).map((r) => r.user)).toEqual(['o,brien']);
  });
});
