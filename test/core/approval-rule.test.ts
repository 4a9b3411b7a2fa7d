import { describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../src/config.js';
import { approvalRule, checkExtraGroups } from '../../src/core/templates.js';
import { ConfigError, ValidationError } from '../../src/errors.js';

/** Three tiers: anyone's, a two-approver team template, and an admins-only one. */
const config = parseFileConfig(
  {
    templates: {
      developer: {
        groups: ['Developers'],
        extra_groups: ['Administrators', 'Data'],
        grantable: {
          groups: ['ProdDebug', 'Billing'],
          managed_policies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        },
      },
      data: { groups: ['Data'], approvals_required: 2 },
      finance: { groups: ['Billing'], approvals_required: 3 },
      admin: {
        groups: ['Administrators'],
        managed_policies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        approvals_required: 2,
        admin_only: true,
      },
    },
  },
  'test',
);

describe('approvalRule: the strictest approval any access in a request needs', () => {
  it('keeps the template’s own rule when nothing stricter grants the access', () => {
    expect(approvalRule(config, 'developer', { groups: ['Developers', 'ProdDebug'] })).toEqual({
      approvalsNeeded: 1,
      adminOnly: false,
      elevated: [],
    });
  });

  it('takes the admin template’s admins and quorum for a group only it grants', () => {
    const rule = approvalRule(config, 'developer', { groups: ['Developers', 'Administrators'] });
    expect(rule).toMatchObject({ approvalsNeeded: 2, adminOnly: true });
    expect(rule.elevated).toEqual([
      { kind: 'group', name: 'Administrators', template: 'admin', adminOnly: true, approvalsNeeded: 2 },
    ]);
  });

  it('raises the quorum without admin-only for a stricter non-admin template', () => {
    const rule = approvalRule(config, 'developer', { groups: ['Data'] });
    expect(rule).toMatchObject({ approvalsNeeded: 2, adminOnly: false });
    expect(rule.elevated.map((e) => e.template)).toEqual(['data']);
  });

  it('combines several: admin-only from one, the largest quorum from another', () => {
    const rule = approvalRule(config, 'developer', { groups: ['Administrators', 'Billing'] });
    expect(rule).toMatchObject({ approvalsNeeded: 3, adminOnly: true });
    expect(rule.elevated.map((e) => e.template)).toEqual(['admin', 'finance']);
  });

  it('applies to policies too: a grantable AdministratorAccess takes the admin rule', () => {
    const rule = approvalRule(config, 'developer', {
      policies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    expect(rule).toMatchObject({ approvalsNeeded: 2, adminOnly: true });
    expect(rule.elevated[0]).toMatchObject({ kind: 'policy', template: 'admin' });
  });

  it('is not elevated for the strict template’s own requests', () => {
    expect(approvalRule(config, 'admin', { groups: ['Administrators'] }).elevated).toEqual([]);
  });
});

describe('checkExtraGroups: the allow-list', () => {
  const developer = config.templates.developer;
  if (!developer) throw new Error('no developer template');

  it('allows extra_groups, grantable groups and the template’s own groups', () => {
    expect(() =>
      checkExtraGroups('developer', developer, ['Administrators', 'ProdDebug', 'Developers']),
    ).not.toThrow();
  });

  it('refuses anything else, naming the allow-list and where to extend it', () => {
    let caught: unknown;
    try {
      checkExtraGroups('developer', developer, ['Finance']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe('extraGroups');
    expect((caught as Error).message).toContain('"Finance" is not offered with template developer');
    expect((caught as Error).message).toContain('Administrators, Data, ProdDebug, Billing');
    expect((caught as Error).message).toContain('templates.developer.extra_groups');
  });
});

describe('config: break-glass cannot hand out what a stricter template guards', () => {
  it('refuses a break-glass template whose grantable group the admin template grants', () => {
    const load = () =>
      parseFileConfig(
        {
          templates: {
            oncall: { groups: ['ReadOnly'], break_glass: true, grantable: { groups: ['Administrators'] } },
            admin: { groups: ['Administrators'], approvals_required: 2, admin_only: true },
          },
        },
        'c.yml',
      );
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'templates.oncall.grantable.groups[0]: break-glass would grant group Administrators without approval, but template admin requires 2 approval(s) from admins',
    );
  });

  it('accepts break-glass into a group no stricter template grants (the shipped example)', () => {
    expect(() =>
      parseFileConfig(
        { templates: { oncall: { groups: ['ReadOnly'], break_glass: true, grantable: { groups: ['IR'] } } } },
        'c.yml',
      ),
    ).not.toThrow();
  });
});
