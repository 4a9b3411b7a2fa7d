import { describe, expect, it } from 'vitest';
import type { Grant } from '../../src/core/index.js';
import type { PendingRequest } from '../../src/store/types.js';
import { appHomeView } from '../../src/views/app-home.js';
import { approvalMessage } from '../../src/views/approval.js';
import { accessFromValue, accessLabel, accessValue, grantableAccess } from '../../src/views/grant-modal.js';
import { testConfig } from '../helpers/core.js';

const ARN = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef';
const set = (over = {}) => ({
  arn: ARN,
  description: '',
  accounts: ['*'],
  max_duration_hours: 4,
  approvals_required: 1,
  admin_only: false,
  break_glass: false,
  elevation_only: false,
  ...over,
});
const config = {
  ...testConfig(),
  permission_sets: { AdministratorAccess: set({ break_glass: true }), ReadOnly: set() },
};

describe('permission sets in the grant modal', () => {
  it('offers every set by a readable value, break-glass only the break_glass ones, and maps values back', () => {
    const offered = grantableAccess(config, false).filter((a) => a.kind === 'permission-set');
    expect(offered.map((a) => a.target)).toEqual(['AdministratorAccess', 'ReadOnly']);
    expect(
      grantableAccess(config, true)
        .filter((a) => a.kind === 'permission-set')
        .map((a) => a.target),
    ).toEqual(['AdministratorAccess']);
    expect(accessValue('permission-set', 'ReadOnly')).toBe('permission-set:ReadOnly');
    expect(accessFromValue(config, 'permission-set:ReadOnly')).toEqual({
      kind: 'permission-set',
      target: 'ReadOnly',
    });
    expect(accessFromValue(config, 'permission-set:Nope')).toBeUndefined();
    expect(accessLabel('permission-set', 'ReadOnly')).toBe('permission set ReadOnly');
  });
});

describe('permission-set wording', () => {
  it('the approval message names the set, the account by name and id, and the Identity Center user', () => {
    const r = {
      id: 'req1',
      kind: 'grant',
      requester: 'UREQ',
      target: { username: 'rita@example.com', slackUserId: 'UREQ' },
      template: '',
      account: '222222222222',
      justification: 'outage',
      extraGroups: [],
      approvalsNeeded: 1,
      adminOnly: true,
      approvals: [],
      status: 'pending',
      createdAt: '2030-01-01T10:00:00.000Z',
      expiresAt: '2030-01-02T10:00:00.000Z',
      grant: {
        kind: 'permission-set',
        target: 'AdministratorAccess',
        durationMinutes: 120,
        principalId: 'u-1',
        permissionSetArn: ARN,
        accountName: 'prod',
      },
    } satisfies PendingRequest;
    const { text, blocks } = approvalMessage(r);
    expect(text).toBe(
      'Temporary access: permission set AdministratorAccess in prod (222222222222) for Identity Center user rita@example.com for 2 h: Waiting for approval',
    );
    expect(JSON.stringify(blocks)).toContain('(admins only)');
  });

  it('App Home lists a permission-set grant with its account name and I’m done', () => {
    const g: Grant = {
      id: 'g1',
      account: '222222222222',
      username: 'rita@example.com',
      kind: 'permission-set',
      target: 'AdministratorAccess',
      principalId: 'u-1',
      permissionSetArn: ARN,
      requester: 'UREQ',
      ownerSlackId: 'UREQ',
      reason: 'outage',
      createdAt: '2030-01-01T10:00:00.000Z',
      expiresAt: '2030-01-01T15:00:00.000Z',
      breakGlass: false,
      approvers: ['UAPP'],
      status: 'active',
    };
    const v = appHomeView({
      role: 'requester',
      usage: ['request'],
      users: [],
      grants: [g],
      accountNames: { '222222222222': 'prod' },
      failedAccounts: [],
      maxKeyAgeDays: 90,
    });
    const json = JSON.stringify(v);
    expect(json).toMatch(
      /AdministratorAccess in prod \(222222222222\) until <!date\^\d+\^[^|]+\|[^>]+>, Identity Center/,
    );
    expect(json).toContain('"value":"g1"');
  });
});
