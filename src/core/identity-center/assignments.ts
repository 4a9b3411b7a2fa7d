import {
  type AccountAssignmentOperationStatus,
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  paginateListAccountAssignments,
  paginateListAccountAssignmentsForPrincipal,
} from '@aws-sdk/client-sso-admin';
import { AssignmentFailedError } from '../../errors.js';
import { collect } from '../aws/paging.js';
import { sleeperOf } from '../aws/retry.js';
import type { CoreContext } from '../context.js';
import { identityCenter } from './directory.js';

/**
 * IAM Identity Center account assignments: a permission set given to a user in one account. AWS provisions an
 * assignment asynchronously: Create/DeleteAccountAssignment answer IN_PROGRESS with a request id, and only the
 * Describe…Status call says when it SUCCEEDED or FAILED (with a reason). Every change here waits for that
 * answer, so a grant is recorded as applied, or a revoke as done, only once AWS has done it.
 */
export interface Assignment {
  account: string;
  permissionSetArn: string;
  /** An Identity Store user id. */
  principalId: string;
}

export interface ListedAssignment {
  account: string;
  permissionSetArn: string;
  principalType: 'USER' | 'GROUP';
  principalId: string;
}

/** How long to wait for AWS to finish provisioning; waits double from `firstWaitMs` up to `maxWaitMs` each. */
export interface PollOptions {
  timeoutMs?: number;
  firstWaitMs?: number;
  maxWaitMs?: number;
}

const DEFAULT_POLL = { timeoutMs: 5 * 60_000, firstWaitMs: 500, maxWaitMs: 5_000 };

async function waitFor(
  ctx: CoreContext,
  operation: 'create' | 'delete',
  first: AccountAssignmentOperationStatus | undefined,
  describe: (requestId: string) => Promise<AccountAssignmentOperationStatus | undefined>,
  poll: PollOptions,
): Promise<void> {
  const { timeoutMs, firstWaitMs, maxWaitMs } = { ...DEFAULT_POLL, ...poll };
  const sleep = sleeperOf(ctx);
  const requestId = first?.RequestId;
  let status = first;
  let waited = 0;
  let wait = firstWaitMs;
  for (;;) {
    if (status?.Status === 'SUCCEEDED') return;
    if (status?.Status === 'FAILED')
      throw new AssignmentFailedError(operation, status.FailureReason ?? 'no reason given');
    if (!requestId) throw new AssignmentFailedError(operation, 'AWS returned no request id to follow');
    if (waited >= timeoutMs)
      throw new AssignmentFailedError(
        operation,
        `still ${status?.Status ?? 'unknown'} after ${Math.round(timeoutMs / 1000)} s (request ${requestId}); it may yet finish`,
      );
    await sleep(wait);
    waited += wait;
    wait = Math.min(wait * 2, maxWaitMs);
    status = await describe(requestId);
  }
}

/** Creates the USER assignment and waits until AWS reports it provisioned. Idempotent in AWS. */
export function createAssignment(ctx: CoreContext, a: Assignment, poll: PollOptions = {}): Promise<void> {
  return changeAssignment(ctx, 'create', { ...a, principalType: 'USER' }, poll);
}

/** Deletes the assignment (USER unless told otherwise) and waits until AWS reports it gone. */
export function deleteAssignment(
  ctx: CoreContext,
  a: Assignment & { principalType?: 'USER' | 'GROUP' },
  poll: PollOptions = {},
): Promise<void> {
  return changeAssignment(ctx, 'delete', { ...a, principalType: a.principalType ?? 'USER' }, poll);
}

async function changeAssignment(
  ctx: CoreContext,
  operation: 'create' | 'delete',
  a: Assignment & { principalType: 'USER' | 'GROUP' },
  poll: PollOptions,
): Promise<void> {
  const ic = identityCenter(ctx);
  const { instanceArn } = await ic.instance();
  const sso = ic.ssoAdmin();
  const input = {
    InstanceArn: instanceArn,
    TargetId: a.account,
    TargetType: 'AWS_ACCOUNT' as const,
    PermissionSetArn: a.permissionSetArn,
    PrincipalType: a.principalType,
    PrincipalId: a.principalId,
  };
  const first =
    operation === 'create'
      ? (await sso.send(new CreateAccountAssignmentCommand(input))).AccountAssignmentCreationStatus
      : (await sso.send(new DeleteAccountAssignmentCommand(input))).AccountAssignmentDeletionStatus;
  const describe = async (id: string) =>
    operation === 'create'
      ? (
          await sso.send(
            new DescribeAccountAssignmentCreationStatusCommand({
              InstanceArn: instanceArn,
              AccountAssignmentCreationRequestId: id,
            }),
          )
        ).AccountAssignmentCreationStatus
      : (
          await sso.send(
            new DescribeAccountAssignmentDeletionStatusCommand({
              InstanceArn: instanceArn,
              AccountAssignmentDeletionRequestId: id,
            }),
          )
        ).AccountAssignmentDeletionStatus;
  await waitFor(ctx, operation, first, describe, poll);
}

/** Every principal assigned the permission set in the account (users and groups). */
export async function listAssignments(
  ctx: CoreContext,
  where: { account: string; permissionSetArn: string },
): Promise<ListedAssignment[]> {
  const ic = identityCenter(ctx);
  const { instanceArn } = await ic.instance();
  const rows = await collect(
    paginateListAccountAssignments(
      { client: ic.ssoAdmin() },
      { InstanceArn: instanceArn, AccountId: where.account, PermissionSetArn: where.permissionSetArn },
    ),
    (p) => p.AccountAssignments,
  );
  return rows.flatMap((r) =>
    r.PrincipalId && (r.PrincipalType === 'USER' || r.PrincipalType === 'GROUP')
      ? [
          {
            account: r.AccountId ?? where.account,
            permissionSetArn: r.PermissionSetArn ?? where.permissionSetArn,
            principalType: r.PrincipalType,
            principalId: r.PrincipalId,
          },
        ]
      : [],
  );
}

/** Whether the user holds the permission set in the account through a direct USER assignment. */
export async function hasUserAssignment(ctx: CoreContext, a: Assignment): Promise<boolean> {
  const all = await listAssignments(ctx, a);
  return all.some((x) => x.principalType === 'USER' && x.principalId === a.principalId);
}

/** Every account assignment made directly to the user, in any account and permission set. */
export async function assignmentsOfUser(ctx: CoreContext, principalId: string): Promise<ListedAssignment[]> {
  const ic = identityCenter(ctx);
  const { instanceArn } = await ic.instance();
  const rows = await collect(
    paginateListAccountAssignmentsForPrincipal(
      { client: ic.ssoAdmin() },
      { InstanceArn: instanceArn, PrincipalId: principalId, PrincipalType: 'USER' },
    ),
    (p) => p.AccountAssignments,
  );
  return rows.flatMap((r) =>
    r.AccountId && r.PermissionSetArn
      ? [
          {
            account: r.AccountId,
            permissionSetArn: r.PermissionSetArn,
            principalType: 'USER' as const,
            principalId,
          },
        ]
      : [],
  );
}
