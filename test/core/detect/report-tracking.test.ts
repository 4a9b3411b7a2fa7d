import { describe, expect, it } from 'vitest';
import type { CredentialReportRow } from '../../../src/core/detect/credential-report.js';
import { analyze, findingId } from '../../../src/core/detect/inactivity.js';
import { ACCOUNT, daysAgo, NOW, row, SETTINGS } from '../../helpers/credential-report.js';

/**
 * Keys and passwords older than IAM's tracking, as AWS documents them (IAM User Guide, "Getting credential
 * reports" and "Finding unused credentials"; API reference, AccessKeyLastUsed):
 * - access_key_N_last_used_date: AccessKeyLastUsed "Contains information about the last time an AWS access
 *   key was used since IAM began tracking this information on April 22, 2015", and the value is N/A when
 *   "An access key exists but has not been used since IAM began tracking this information". So N/A means
 *   never used for a key created after 2015-04-22, and "not used since 2015-04-22" for one created before.
 * - password_last_used: "no_information – Users that have not used their password since IAM began tracking
 *   password age on October 20, 2014."
 */

const DAYS_SINCE_KEY_TRACKING = Math.floor((NOW.getTime() - Date.parse('2015-04-22T00:00:00Z')) / 86_400_000);
const DAYS_SINCE_PASSWORD_TRACKING = Math.floor(
  (NOW.getTime() - Date.parse('2014-10-20T00:00:00Z')) / 86_400_000,
);

const run = (rows: CredentialReportRow[]) => analyze(ACCOUNT, rows, new Map(), NOW, SETTINGS);

describe('keys and passwords older than IAM tracking', () => {
  it('a key created before 2015-04-22 with N/A is inactive since 2015-04-22, not "never used"', () => {
    const [f, ...rest] = run([
      row({
        user: 'legacy',
        user_creation_time: '2013-05-01T00:00:00+00:00',
        access_key_1_active: 'true',
        access_key_1_last_rotated: '2014-02-03T00:00:00+00:00',
        access_key_1_last_used_date: 'N/A',
      }),
    ]);
    expect(rest).toEqual([]);
    expect(f?.type).toBe('ACCESS_KEY_INACTIVE');
    expect(f?.daysInactive).toBe(DAYS_SINCE_KEY_TRACKING);
    expect(f?.details).toMatch(/not used since 2015-04-22/);
    expect(f?.details).toMatch(/created 2014-02-03, before IAM began tracking key use/);
    expect(f?.id).toBe(
      findingId(ACCOUNT.id, 'legacy', 'ACCESS_KEY_INACTIVE', 'access_key_1@2014-02-03T00:00:00.000Z'),
    );
  });

  it('a key of unknown creation on a user created before 2015-04-22 is not called "never used" either', () => {
    const f = run([
      row({
        user: 'legacy2',
        user_creation_time: '2015-01-01T00:00:00+00:00',
        access_key_2_active: 'true',
        access_key_2_last_rotated: 'N/A',
        access_key_2_last_used_date: 'N/A',
      }),
    ]);
    expect(f.map((x) => [x.type, x.daysInactive])).toEqual([
      ['ACCESS_KEY_INACTIVE', DAYS_SINCE_KEY_TRACKING],
    ]);
  });

  it('a key created after 2015-04-22 with N/A stays "never used", days from its creation', () => {
    const f = run([
      row({
        user: 'recent',
        access_key_1_active: 'true',
        access_key_1_last_rotated: daysAgo(200),
        access_key_1_last_used_date: 'N/A',
      }),
    ]);
    expect(f.map((x) => [x.type, x.daysInactive])).toEqual([['ACCESS_KEY_NEVER_USED', 200]]);
  });

  it('password no_information on a pre-2014-10-20 user: inactive since 2014-10-20, Details say so', () => {
    const [f] = run([
      row({
        user: 'old-console',
        user_creation_time: '2012-01-01T00:00:00+00:00',
        password_enabled: 'true',
        password_last_used: 'no_information',
        password_last_changed: '2013-01-01T00:00:00+00:00',
      }),
    ]);
    expect(f?.type).toBe('CONSOLE_INACTIVE');
    expect(f?.daysInactive).toBe(DAYS_SINCE_PASSWORD_TRACKING);
    expect(f?.details).toMatch(/not used since 2014-10-20/);
    expect(f?.details).toMatch(/before IAM began tracking/);
  });

  it('password no_information with an unreadable creation time is still inactive since 2014-10-20, never dropped', () => {
    const f = run([
      row({
        user: 'no-dates',
        user_creation_time: 'N/A',
        password_enabled: 'true',
        password_last_used: 'no_information',
      }),
    ]);
    expect(f.map((x) => [x.type, x.daysInactive])).toEqual([
      ['CONSOLE_INACTIVE', DAYS_SINCE_PASSWORD_TRACKING],
    ]);
  });

  it('password no_information on a user created after 2014-10-20 means never used (not used since before it existed)', () => {
    const f = run([
      row({
        user: 'modern',
        user_creation_time: daysAgo(400),
        password_enabled: 'true',
        password_last_used: 'no_information',
      }),
    ]);
    expect(f.map((x) => [x.type, x.daysInactive])).toEqual([['CONSOLE_NEVER_USED', 400]]);
  });

  it('keeps the ids of findings whose meaning did not change', () => {
    const f = run([
      row({
        user: 'alice',
        access_key_1_active: 'true',
        access_key_1_last_rotated: '2020-01-01T00:00:00+00:00',
      }),
      row({ user: 'bob', password_enabled: 'true', password_last_used: daysAgo(100) }),
    ]);
    expect(f.map((x) => x.id).sort()).toEqual(['fnd-84f79743177b5d15', 'fnd-a2d68a99f96c4268']);
  });
});
