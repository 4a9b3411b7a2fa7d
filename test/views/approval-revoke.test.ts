import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EntitlementKind } from '../../src/core/index.js';
import type { PendingRequest } from '../../src/store/types.js';
import { approvalMessage, requestTitle } from '../../src/views/approval.js';
import { messageViolations, textViolations } from './slack-limits.js';

const ISO = '2026-12-01T09:00:00.000Z';

function revokeRequest(
  kind: EntitlementKind,
  name: string,
  over: Partial<PendingRequest> = {},
): PendingRequest {
  return {
    id: '3f1c2a4e-0000-4000-8000-000000000001',
    kind: 'revoke',
    requester: 'UREVIEWER1',
    target: { username: 'alice', slackUserId: 'UALICE0001' },
    account: '123456789012',
    justification: 'Access review rv-0000abcd, item rv-0000abcd.1: the reviewer decided to revoke',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: ISO,
    expiresAt: ISO,
    review: {
      campaignId: 'rv-0000abcd',
      itemId: 'rv-0000abcd.1',
      accountName: 'prod',
      principal: { kind: kind === 'permission-set' ? 'identity-center-user' : 'iam-user', name: 'alice' },
      entitlement: { kind, name },
    },
    ...over,
  };
}

describe('the approval message of a review revocation', () => {
  it('says in words what each kind takes away, and where', () => {
    const where = 'in prod (123456789012)';
    const cases: [EntitlementKind, string, string][] = [
      ['group', 'Developers', 'remove IAM user `alice` from group *Developers*'],
      [
        'managed-policy',
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'detach managed policy *arn:aws:iam::aws:policy/ReadOnlyAccess* from IAM user `alice`',
      ],
      ['inline-policy', 'list-buckets', 'delete inline policy *list-buckets* of IAM user `alice`'],
      ['console', 'console', 'disable console sign-in of IAM user `alice`'],
      ['access-key', 'access key 2', 'deactivate access key 2 of IAM user `alice`'],
      [
        'permission-set',
        'AdministratorAccess',
        'remove permission set *AdministratorAccess* from Identity Center user `alice`',
      ],
    ];
    for (const [kind, name, words] of cases)
      expect(requestTitle(revokeRequest(kind, name))).toBe(`Access review revocation: ${words} ${where}`);
  });

  it('escapes what it shows: a name cannot mention the channel', () => {
    const r = revokeRequest('group', '<!channel>', {
      review: {
        ...(revokeRequest('group', 'x').review as NonNullable<PendingRequest['review']>),
        accountName: '<!here>',
      },
    });
    expect(requestTitle(r)).not.toMatch(/<!(channel|here)>/);
  });

  it("stays within Slack's limits over generated names, in every state", () => {
    const kinds: EntitlementKind[] = [
      'group',
      'managed-policy',
      'inline-policy',
      'console',
      'access-key',
      'permission-set',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.string({ maxLength: 2048 }),
        fc.string({ maxLength: 128 }),
        fc.string({ maxLength: 128 }),
        fc.constantFrom('pending', 'approving', 'done', 'failed', 'denied', 'expired' as const),
        fc.option(fc.string({ maxLength: 5000 })),
        (kind, name, accountName, principal, status, outcome) => {
          const base = revokeRequest(kind, name);
          const r: PendingRequest = {
            ...base,
            status: status as PendingRequest['status'],
            decidedBy: 'UAPPROVER1',
            decidedAt: ISO,
            ...(outcome ? { outcome } : {}),
            review: {
              ...(base.review as NonNullable<PendingRequest['review']>),
              accountName,
              principal: { kind: 'iam-user', name: principal },
            },
          };
          expect([
            ...messageViolations(approvalMessage(r, 'revoking')),
            ...textViolations(requestTitle(r)),
          ]).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
