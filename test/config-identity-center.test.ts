import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFileConfig } from '../src/config.js';

const PS = 'arn:aws:sso:::permissionSet/ssoins-9g414bspltbhfb9w/ps-xinvg615xd68ygkp';

describe('organization, identity_center and permission_sets', () => {
  it('parses them with their defaults', () => {
    const cfg = parseFileConfig(
      {
        templates: {},
        organization: { role_name: 'aws-user-member', external_id: 'ext-1' },
        identity_center: {},
        permission_sets: { Admin: { arn: PS, accounts: ['*'], elevation_only: true } },
      },
      'x.yml',
    );
    expect(cfg.organization).toEqual({
      role_name: 'aws-user-member',
      external_id: 'ext-1',
      region: 'us-east-1',
      include_ous: [],
      exclude_accounts: [],
      refresh_minutes: 60,
    });
    expect(cfg.identity_center).toEqual({ region: 'us-east-1' });
    expect(cfg.permission_sets.Admin).toMatchObject({
      max_duration_hours: 8,
      approvals_required: 1,
      admin_only: false,
      break_glass: false,
      elevation_only: true,
    });
    expect(cfg.jobs.identity_center_reconcile_schedule).toBe('*/5 * * * *');
  });

  it('names the field and the fix for each mistake', () => {
    const bad = (extra: Record<string, unknown>) => () =>
      parseFileConfig({ templates: {}, ...extra }, 'x.yml');
    expect(bad({ permission_sets: { Admin: { arn: PS, accounts: ['*'] } } })).toThrow(
      /permission_sets\.Admin: needs identity_center/,
    );
    expect(
      bad({
        identity_center: {},
        permission_sets: { Admin: { arn: 'arn:aws:iam::aws:policy/X', accounts: ['*'] } },
      }),
    ).toThrow(/permission_sets\.Admin\.arn: must be a permission set ARN/);
    expect(bad({ identity_center: {}, permission_sets: { Admin: { arn: PS, accounts: ['12'] } } })).toThrow(
      /permission_sets\.Admin\.accounts\[0\]/,
    );
    expect(
      bad({ identity_center: {}, permission_sets: { Admin: { arn: PS, accounts: ['*', '111111111111'] } } }),
    ).toThrow(/"\*" already means every account/);
    expect(
      bad({
        identity_center: {},
        permission_sets: { A: { arn: PS, accounts: ['*'], break_glass: true, approvals_required: 2 } },
      }),
    ).toThrow(/permission_sets\.A\.break_glass: cannot be true when approvals_required > 1/);
    expect(
      bad({
        identity_center: { instance_arn: 'arn:aws:sso:::instance/ssoins-aaaaaaaaaaaaaaaa' },
        permission_sets: { A: { arn: PS, accounts: ['*'] } },
      }),
    ).toThrow(/permission_sets\.A\.arn: belongs to ssoins-9g414bspltbhfb9w/);
    expect(bad({ organization: { role_name: 'bad role' } })).toThrow(
      /organization\.role_name: must be an IAM role name/,
    );
    expect(bad({ organization: { role_name: 'r', include_ous: ['prod'] } })).toThrow(
      /organization\.include_ous\[0\]: must be an OU id/,
    );
  });

  it('takes a home_account that only the organization lists, but not one missing from a static list', () => {
    const accounts = [{ id: '222222222222', name: 'prod', role_arn: 'arn:aws:iam::222222222222:role/x' }];
    expect(() => parseFileConfig({ templates: {}, accounts, home_account: '111111111111' }, 'x.yml')).toThrow(
      /home_account: 111111111111 is not one of accounts\[\]\.id/,
    );
    const cfg = parseFileConfig(
      { templates: {}, accounts, home_account: '111111111111', organization: { role_name: 'aws-user-bot' } },
      'x.yml',
    );
    expect(cfg.home_account).toBe('111111111111');
  });

  it('keeps an Identity Center template apart from IAM-only fields', () => {
    const ok = parseFileConfig(
      { identity_center: {}, templates: { sso: { identity_center: { groups: ['Engineers'] } } } },
      'x.yml',
    );
    expect(ok.templates.sso?.identity_center).toEqual({ groups: ['Engineers'] });
    expect(() =>
      parseFileConfig({ templates: { sso: { identity_center: { groups: [] } } } }, 'x.yml'),
    ).toThrow(/templates\.sso\.identity_center: needs identity_center/);
    expect(() =>
      parseFileConfig(
        { identity_center: {}, templates: { sso: { groups: ['Dev'], identity_center: { groups: [] } } } },
        'x.yml',
      ),
    ).toThrow(
      /templates\.sso\.identity_center: an Identity Center template cannot also set groups \(IAM only\)/,
    );
  });
});

describe('config.example.yml', () => {
  it('holds a commented organization / Identity Center example that parses once uncommented', () => {
    const text = readFileSync('config.example.yml', 'utf8');
    const at = text.indexOf('# AWS Organizations');
    expect(at).toBeGreaterThan(0);
    const uncommented = text.slice(at).replace(/^# (?=organization|identity_center|permission_sets| )/gm, '');
    const cfg = parseFileConfig(parse(text.slice(0, at) + uncommented), 'config.example.yml');
    expect(cfg.organization?.role_name).toBe('aws-user-bot');
    expect(Object.keys(cfg.permission_sets)).toEqual(['AdministratorAccess', 'ReadOnly']);
    expect(cfg.permission_sets.AdministratorAccess?.elevation_only).toBe(true);
  });
});
