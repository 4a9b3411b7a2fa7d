import { describe, expect, it } from 'vitest';
import { grantId, grantRule, validateGrantRequest } from '../../../src/core/index.js';
import { ValidationError } from '../../../src/errors.js';
import { testConfig } from '../../helpers/core.js';

const ARN = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef';
const set = (over = {}) => ({
  arn: ARN,
  description: '',
  accounts: ['111111111111'],
  max_duration_hours: 2,
  approvals_required: 2,
  admin_only: true,
  break_glass: false,
  elevation_only: true,
  ...over,
});
const config = {
  ...testConfig(),
  permission_sets: {
    Admin: set(),
    Read: set({ accounts: ['*'], approvals_required: 1, admin_only: false, break_glass: true }),
  },
};
const managedAccounts = ['111111111111', '222222222222'];
const ask = (over = {}) => ({
  template: '',
  kind: 'permission-set' as const,
  target: 'Admin',
  durationMinutes: 60,
  account: '111111111111',
  managedAccounts,
  ...over,
});

function fieldOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.field;
    throw err;
  }
  return undefined;
}

describe('permission-set grant rules', () => {
  it('the set’s own quorum and admin_only apply; an unknown set needs the strictest rule', () => {
    expect(grantRule(config, 'developer', { kind: 'permission-set', target: 'Admin' })).toEqual({
      approvalsNeeded: 2,
      adminOnly: true,
      elevated: [],
    });
    expect(grantRule(config, '', { kind: 'permission-set', target: 'Nope' })).toMatchObject({
      approvalsNeeded: 5,
      adminOnly: true,
    });
  });

  it('checks the account list ("*" = every managed account), the set’s cap and break-glass', () => {
    expect(fieldOf(() => validateGrantRequest(config, ask()))).toBeUndefined();
    expect(fieldOf(() => validateGrantRequest(config, ask({ account: '222222222222' })))).toBe('account');
    expect(
      fieldOf(() => validateGrantRequest(config, ask({ target: 'Read', account: '222222222222' }))),
    ).toBeUndefined();
    expect(
      fieldOf(() => validateGrantRequest(config, ask({ target: 'Read', account: '333333333333' }))),
    ).toBe('account');
    expect(fieldOf(() => validateGrantRequest(config, ask({ durationMinutes: 121 })))).toBe('duration');
    expect(fieldOf(() => validateGrantRequest(config, ask({ breakGlass: true })))).toBe('target');
    expect(
      fieldOf(() =>
        validateGrantRequest(config, ask({ target: 'Read', breakGlass: true, durationMinutes: 30 })),
      ),
    ).toBeUndefined();
    expect(fieldOf(() => validateGrantRequest(config, ask({ target: 'Nope' })))).toBe('target');
  });

  it('keys a permission-set grant by the Identity Store user id, not the UserName', () => {
    const base = {
      account: '111111111111',
      kind: 'permission-set' as const,
      target: 'Admin',
      principalId: 'u-1',
    };
    expect(grantId({ ...base, username: 'rita' })).toBe(grantId({ ...base, username: 'rita.renamed' }));
    expect(grantId({ ...base, username: 'rita' })).not.toBe(
      grantId({ ...base, username: 'rita', principalId: 'u-2' }),
    );
  });
});
