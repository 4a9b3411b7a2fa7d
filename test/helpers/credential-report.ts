import type { CredentialReportRow } from '../../src/core/detect/credential-report.js';
import type { InactivitySettings } from '../../src/core/detect/inactivity.js';

/** The fixed "now", account and thresholds the pure credential-report tests analyse against. */
export const NOW = new Date('2026-06-01T00:00:00Z');
export const ACCOUNT = { id: '111111111111', name: 'security' };
export const SETTINGS: InactivitySettings = {
  console_days: 90,
  access_key_days: 180,
  severities: {},
  soc2_controls: {},
};

/** A report timestamp `n` days before NOW, written as AWS writes them. */
export function daysAgo(n: number): string {
  return new Date(NOW.getTime() - n * 86_400_000).toISOString().replace('.000Z', '+00:00');
}

/** A credential-report row with nothing enabled and nothing used, created 1,000 days ago; override per test. */
export function row(over: Partial<CredentialReportRow> & { user: string }): CredentialReportRow {
  return {
    arn: `arn:aws:iam::${ACCOUNT.id}:user/${over.user}`,
    user_creation_time: daysAgo(1000),
    password_enabled: 'false',
    password_last_used: 'N/A',
    password_last_changed: 'N/A',
    password_next_rotation: 'N/A',
    mfa_active: 'false',
    access_key_1_active: 'false',
    access_key_1_last_rotated: 'N/A',
    access_key_1_last_used_date: 'N/A',
    access_key_2_active: 'false',
    access_key_2_last_rotated: 'N/A',
    access_key_2_last_used_date: 'N/A',
    ...over,
  };
}
