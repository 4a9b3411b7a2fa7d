import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseFileConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'aws-user-config-'));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('loadConfig', () => {
  it('loads the shipped example with its four templates', () => {
    const cfg = loadConfig({}, 'config.example.yml');
    expect(Object.keys(cfg.templates).sort()).toEqual(['admin', 'developer', 'finance', 'readonly']);
    expect(cfg.templates.developer?.groups).toEqual(['Developers', 'ReadOnly']);
    expect(cfg.templates.developer?.managed_policies).toEqual([
      'arn:aws:iam::aws:policy/AmazonEC2FullAccess',
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    ]);
    expect(cfg.templates.admin?.approvals_required).toBe(2);
    expect(cfg.password_policy.minimum_length).toBe(12);
    expect(cfg.inactivity.console_days).toBe(90);
    expect(cfg.inactivity.access_key_days).toBe(180);
  });

  it('names the file and the field, e.g. templates.developer.groups[1]', () => {
    const p = write('bad.yml', 'templates:\n  developer:\n    groups: [Developers, 42]\n');
    expect(() => loadConfig({}, p)).toThrow(ConfigError);
    expect(() => loadConfig({}, p)).toThrow(`${p}:\n  templates.developer.groups[1]: expected string`);
  });

  it('reads JSON too, and AWS_USER_CONFIG when no path is given', () => {
    const p = write('c.json', JSON.stringify({ templates: { ro: { groups: ['ReadOnly'] } } }));
    expect(loadConfig({ AWS_USER_CONFIG: p }).templates.ro?.groups).toEqual(['ReadOnly']);
  });

  it('says so when the file is missing', () => {
    expect(() => loadConfig({}, join(dir, 'nope.yml'))).toThrow(/file not found; copy config.example.yml/);
  });

  it('rejects unknown keys, which are usually typos', () => {
    expect(() => parseFileConfig({ templates: {}, acounts: [] }, 'x.yml')).toThrow(
      /unknown key\(s\) acounts/,
    );
  });

  it('rejects a bad account id and a duplicate account', () => {
    expect(() => parseFileConfig({ templates: {}, accounts: [{ id: '123', name: 'a' }] }, 'x.yml')).toThrow(
      /accounts\[0\]\.id: must be a 12-digit AWS account id/,
    );
    const dup = { id: '111111111111', name: 'a' };
    expect(() => parseFileConfig({ templates: {}, accounts: [dup, dup] }, 'x.yml')).toThrow(
      /duplicate account id/,
    );
  });

  it('rejects a grantable group or policy that cannot be written into the aws-user:grant tag, naming the field', () => {
    const long = `arn:aws:iam::123456789012:policy/${'p'.repeat(200)}/Admin`;
    const tpl = (grantable: object) => ({ templates: { dev: { grantable } } });
    expect(() => parseFileConfig(tpl({ managed_policies: [long] }), 'x.yml')).toThrow(
      /templates\.dev\.grantable\.managed_policies\[0\]: policy "arn:aws:iam::123456789012:policy\/p+.*too long for the aws-user:grant tag/,
    );
    expect(() => parseFileConfig(tpl({ groups: ['Ok', 'Prod,Debug'] }), 'x.yml')).toThrow(
      /templates\.dev\.grantable\.groups\[1\]: group "Prod,Debug" has characters an IAM tag value cannot hold/,
    );
    const fits = `arn:aws:iam::123456789012:policy/${'p'.repeat(180)}`;
    expect(() =>
      parseFileConfig(tpl({ groups: ['Prod.Debug'], managed_policies: [fits] }), 'x.yml'),
    ).not.toThrow();
  });

  it('validates every cron schedule in the schema, naming the field', () => {
    expect(() =>
      parseFileConfig(
        { templates: {}, jobs: { digest_schedule: '0 9 1 * *', mfa_cleanup_schedule: 'every 5' } },
        'x.yml',
      ),
    ).toThrow('x.yml:\n  jobs.mfa_cleanup_schedule: "every 5" is not a valid cron expression');
    expect(() =>
      parseFileConfig({ templates: {}, jobs: { digest_schedule: '61 * * * *' } }, 'x.yml'),
    ).toThrow('jobs.digest_schedule: "61 * * * *" is not a valid cron expression');
    const jobs = parseFileConfig({ templates: {} }, 'x.yml').jobs;
    expect(jobs.temporary_access_schedule).toBe('* * * * *');
    expect(
      parseFileConfig({ templates: {}, jobs: { timezone: 'UTC' } }, 'x.yml').jobs.grant_revoke_schedule,
    ).toBe('* * * * *');
  });

  it('validates the environment, naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' }, 'config.example.yml')).toThrow(/environment:\n {2}PORT/);
  });
});

describe('template names', () => {
  it('are capped at 64 characters, so every one fits a select option whole', () => {
    const long = 'a'.repeat(65);
    const load = () => parseFileConfig({ templates: { [long]: { groups: ['ReadOnly'] } } }, 'c.yml');
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`templates.${long}: bad name: template names are 1-64 lower-case letters`);
    expect(() => parseFileConfig({ templates: { ['a'.repeat(64)]: {} } }, 'c.yml')).not.toThrow();
  });
});
