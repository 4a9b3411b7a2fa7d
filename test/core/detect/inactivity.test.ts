import { describe, expect, it } from 'vitest';
import type { CredentialReportRow } from '../../../src/core/detect/credential-report.js';
import { parseCredentialReport } from '../../../src/core/detect/credential-report.js';
import { analyze, detach, findingId } from '../../../src/core/detect/inactivity.js';
import { ACCOUNT, daysAgo, NOW, row, SETTINGS } from '../../helpers/credential-report.js';

const run = (rows: CredentialReportRow[], settings = SETTINGS) =>
  analyze(ACCOUNT, rows, new Map(), NOW, settings);
const types = (rows: CredentialReportRow[], settings = SETTINGS) =>
  run(rows, settings).map((f) => `${f.userName}:${f.type}`);

describe('analyze: console', () => {
  it('flags CONSOLE_INACTIVE at exactly the threshold, not a day before', () => {
    expect(
      types([
        row({ user: 'at', password_enabled: 'true', password_last_used: daysAgo(90) }),
        row({ user: 'before', password_enabled: 'true', password_last_used: daysAgo(89) }),
      ]),
    ).toEqual(['at:CONSOLE_INACTIVE']);
  });

  it('reads N/A with a password as never used, after the grace period only', () => {
    expect(
      types([
        row({
          user: 'old',
          password_enabled: 'true',
          password_last_used: 'N/A',
          user_creation_time: daysAgo(90),
        }),
        row({
          user: 'new',
          password_enabled: 'true',
          password_last_used: 'N/A',
          user_creation_time: daysAgo(89),
        }),
      ]),
    ).toEqual(['old:CONSOLE_NEVER_USED']);
  });

  it('runs the grace period from when the password was set on an old user', () => {
    expect(
      types([
        row({
          user: 'late-console',
          password_enabled: 'true',
          password_last_used: 'N/A',
          user_creation_time: daysAgo(900),
          password_last_changed: daysAgo(10),
        }),
      ]),
    ).toEqual([]);
  });

  it('reads no_information as inactive since 2014-10-20 for users older than tracking, else never used', () => {
    const f = run([
      row({
        user: 'ancient',
        password_enabled: 'true',
        password_last_used: 'no_information',
        user_creation_time: '2013-01-01T00:00:00+00:00',
      }),
      row({ user: 'modern', password_enabled: 'true', password_last_used: 'no_information' }),
    ]);
    expect(f.map((x) => `${x.userName}:${x.type}`).sort()).toEqual([
      'ancient:CONSOLE_INACTIVE',
      'modern:CONSOLE_NEVER_USED',
    ]);
    expect(f.find((x) => x.userName === 'ancient')?.details).toMatch(/2014-10-20/);
  });

  it('skips a disabled console (password_enabled=false) whatever the last use, and not_supported', () => {
    expect(
      types([
        row({ user: 'disabled', password_enabled: 'false', password_last_used: daysAgo(400) }),
        row({ user: 'moto-style', password_enabled: 'false', password_last_used: 'not_supported' }),
        row({ user: 'odd', password_enabled: 'true', password_last_used: 'not_supported' }),
      ]),
    ).toEqual([]);
  });

  it('skips the <root_account> row', () => {
    expect(
      types([
        row({
          user: '<root_account>',
          password_enabled: 'not_supported',
          password_last_used: daysAgo(500),
          access_key_1_active: 'true',
          access_key_1_last_used_date: 'N/A',
        }),
      ]),
    ).toEqual([]);
  });
});

describe('analyze: access keys', () => {
  it('flags ACCESS_KEY_INACTIVE at 180 days, not 179, per key slot', () => {
    const f = run([
      row({
        user: 'k',
        access_key_1_active: 'true',
        access_key_1_last_rotated: daysAgo(400),
        access_key_1_last_used_date: daysAgo(180),
        access_key_2_active: 'true',
        access_key_2_last_rotated: daysAgo(400),
        access_key_2_last_used_date: daysAgo(179),
      }),
    ]);
    expect(f.map((x) => [x.type, x.key?.slot, x.severity])).toEqual([
      ['ACCESS_KEY_INACTIVE', 'access_key_1', 'MEDIUM'],
    ]);
  });

  it('flags a never-used key (N/A) only once it is older than the threshold', () => {
    expect(
      types([
        row({ user: 'old', access_key_1_active: 'true', access_key_1_last_rotated: daysAgo(180) }),
        row({ user: 'new', access_key_1_active: 'true', access_key_1_last_rotated: daysAgo(179) }),
      ]),
    ).toEqual(['old:ACCESS_KEY_NEVER_USED']);
  });

  it('falls back to the user creation time when last_rotated is N/A', () => {
    expect(
      types([row({ user: 'u', access_key_1_active: 'true', user_creation_time: daysAgo(200) })]),
    ).toEqual(['u:ACCESS_KEY_NEVER_USED']);
  });

  it('ignores inactive keys, even long unused ones', () => {
    expect(
      types([
        row({
          user: 'off',
          access_key_1_active: 'false',
          access_key_1_last_rotated: daysAgo(900),
          access_key_1_last_used_date: daysAgo(800),
        }),
      ]),
    ).toEqual([]);
  });

  it('reads no_information on a pre-2015-04-22 key as inactive since tracking began; not_supported is skipped', () => {
    const f = run([
      row({
        user: 'legacy',
        access_key_1_active: 'true',
        access_key_1_last_rotated: '2015-01-01T00:00:00+00:00',
        access_key_1_last_used_date: 'no_information',
        access_key_2_active: 'true',
        access_key_2_last_rotated: daysAgo(900),
        access_key_2_last_used_date: 'not_supported',
      }),
    ]);
    expect(f.map((x) => `${x.type}:${x.key?.slot}`)).toEqual(['ACCESS_KEY_INACTIVE:access_key_1']);
    expect(f[0]?.details).toMatch(/2015-04-22/);
  });
});

describe('analyze: settings, ids and user facts', () => {
  it('honours per-type severities, controls and thresholds', () => {
    const f = run(
      [
        row({ user: 'c', password_enabled: 'true', password_last_used: daysAgo(31) }),
        row({ user: 'k', access_key_1_active: 'true', access_key_1_last_rotated: daysAgo(40) }),
      ],
      {
        console_days: 30,
        access_key_days: 30,
        severities: { ACCESS_KEY_NEVER_USED: 'LOW' },
        soc2_controls: { CONSOLE_INACTIVE: ['CC6.2'] },
      },
    );
    expect(f.map((x) => [x.type, x.severity, x.controls.join(',')])).toEqual([
      ['CONSOLE_INACTIVE', 'HIGH', 'CC6.2'],
      ['ACCESS_KEY_NEVER_USED', 'LOW', 'CC6.1,CC6.2,CC6.3'],
    ]);
  });

  it('gives the same id for the same account, user, type and key, and a new one for a new key', () => {
    const r = row({ user: 'k', access_key_1_active: 'true', access_key_1_last_rotated: daysAgo(300) });
    const a = run([r])[0]?.id;
    expect(run([r])[0]?.id).toBe(a);
    expect(a).toMatch(/^fnd-[0-9a-f]{16}$/);
    const rotated = run([{ ...r, access_key_1_last_rotated: daysAgo(250) }])[0]?.id;
    expect(rotated).not.toBe(a);
    expect(findingId('1', 'u', 'CONSOLE_INACTIVE')).not.toBe(findingId('2', 'u', 'CONSOLE_INACTIVE'));
  });

  it('joins email, department and manager from the user details', () => {
    const f = analyze(
      ACCOUNT,
      [row({ user: 'u', password_enabled: 'true', password_last_used: daysAgo(100), mfa_active: 'true' })],
      new Map([['u', { email: 'u@example.com', department: 'Eng', manager: 'boss@example.com' }]]),
      NOW,
      SETTINGS,
    );
    expect(f[0]).toMatchObject({
      email: 'u@example.com',
      department: 'Eng',
      manager: 'boss@example.com',
      mfaEnabled: true,
    });
  });

  it('parses an AWS-format CSV including the root row', () => {
    const csv = [
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
      '<root_account>,arn:aws:iam::111111111111:root,2014-01-01T00:00:00+00:00,not_supported,2026-05-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      'alice,arn:aws:iam::111111111111:user/alice,2020-01-01T00:00:00+00:00,true,2025-01-01T00:00:00+00:00,2020-01-01T00:00:00+00:00,N/A,false,true,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    ].join('\n');
    const rows = parseCredentialReport(csv);
    expect(rows).toHaveLength(2);
    expect(types(rows)).toEqual(['alice:CONSOLE_INACTIVE', 'alice:ACCESS_KEY_NEVER_USED']);
  });
});

describe('detach', () => {
  it('copies every UTF-16 code unit exactly, lone surrogates and non-Latin-1 text included', () => {
    const big = `${'x'.repeat(50)}arn:aws:iam::111111111111:user/zoë-名前\ud800-end${'y'.repeat(50)}`;
    for (const s of ['', 'short', big, big.slice(50, -50), 'a\udc00b'.repeat(10), '\ud83d\ude00'.repeat(8)])
      expect(detach(s)).toBe(s);
  });
});
