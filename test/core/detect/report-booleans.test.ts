import { describe, expect, it } from 'vitest';
import {
  type CredentialReportRow,
  parseCredentialReport,
} from '../../../src/core/detect/credential-report.js';
import { analyze } from '../../../src/core/detect/inactivity.js';
import { type ReportData, securityReport } from '../../../src/core/detect/reports.js';
import { ACCOUNT, daysAgo, NOW, row, SETTINGS } from '../../helpers/credential-report.js';

/**
 * Booleans, as AWS documents them (IAM User Guide, "Getting credential reports"): "password_enabled: When the
 * user has a password, this value is TRUE. Otherwise it is FALSE." The same wording covers mfa_active and
 * access_key_N_active. Real reports (and moto) write them lower-case, so both must read the same.
 */

const run = (rows: CredentialReportRow[]) => analyze(ACCOUNT, rows, new Map(), NOW, SETTINGS);

const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

describe('booleans are read case-insensitively (documented TRUE/FALSE, lower-case in the wild)', () => {
  it.each(['TRUE', 'True', 'true', ' TRUE '])(
    'password_enabled, mfa_active and access_key_N_active = %j',
    (t) => {
      const f = run([
        row({
          user: 'u',
          password_enabled: t,
          password_last_used: daysAgo(100),
          mfa_active: t,
          access_key_1_active: t,
          access_key_1_last_rotated: daysAgo(400),
          access_key_1_last_used_date: daysAgo(300),
          access_key_2_active: t,
          access_key_2_last_rotated: daysAgo(400),
        }),
      ]);
      expect(f.map((x) => `${x.type}:${x.key?.slot ?? ''}:${x.mfaEnabled}`)).toEqual([
        'CONSOLE_INACTIVE::true',
        'ACCESS_KEY_NEVER_USED:access_key_2:true',
        'ACCESS_KEY_INACTIVE:access_key_1:true',
      ]);
    },
  );

  it.each(['FALSE', 'False', 'false'])('%j stays false', (v) => {
    expect(
      run([
        row({
          user: 'u',
          password_enabled: v,
          password_last_used: daysAgo(100),
          access_key_1_active: v,
          access_key_1_last_rotated: daysAgo(400),
        }),
      ]),
    ).toEqual([]);
  });

  it('parses a report written exactly as documented (upper-case booleans) into findings', () => {
    const csv = [
      HEADER,
      'alice,arn:aws:iam::111111111111:user/alice,2020-01-01T00:00:00+00:00,TRUE,2025-01-01T00:00:00+00:00,2020-01-01T00:00:00+00:00,N/A,FALSE,TRUE,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,FALSE,N/A,N/A,N/A,N/A,FALSE,N/A,FALSE,N/A',
    ].join('\n');
    expect(run(parseCredentialReport(csv)).map((x) => `${x.userName}:${x.type}`)).toEqual([
      'alice:CONSOLE_INACTIVE',
      'alice:ACCESS_KEY_NEVER_USED',
    ]);
  });
});

describe('the security report reads the root row the same way', () => {
  it('root with mfa_active=TRUE and access_key_N_active=FALSE raises no root risk; TRUE keys do', () => {
    const root = (keys: string) =>
      row({
        user: '<root_account>',
        mfa_active: 'TRUE',
        access_key_1_active: keys,
        access_key_2_active: 'FALSE',
      });
    const report = (keys: string) =>
      securityReport({
        now: NOW,
        config: {} as ReportData['config'],
        accounts: [
          {
            accountId: ACCOUNT.id,
            accountName: ACCOUNT.name,
            region: 'us-east-1',
            ok: true,
            userCount: 0,
            findings: [],
            iamCalls: 0,
            users: [],
            root: root(keys),
          },
        ],
      }).rows.map((r) => r[2]);
    expect(report('FALSE')).toEqual([]);
    expect(report('True')).toEqual(['ROOT_ACCESS_KEYS']);
  });
});
