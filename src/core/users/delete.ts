import {
  GetLoginProfileCommand,
  type IAMClient,
  IAMServiceException,
  ListServiceSpecificCredentialsCommand,
  NoSuchEntityException,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  paginateListUserPolicies,
} from '@aws-sdk/client-iam';
import { StepFailedError } from '../../errors.js';
import { type AuditTrail, audited } from '../audit.js';
import { describeCall, runCall } from '../aws/iam-calls.js';
import { collect } from '../aws/paging.js';
import { ignoreMissing, isTransientConflict, isUnmodifiable, sleeperOf, withRetry } from '../aws/retry.js';
import type { Actor, CoreContext } from '../context.js';
import { type PlannedCall, validateUsername } from '../templates.js';
import { getUser } from './describe.js';

/** What must go before DeleteUser, in the order AWS requires (read-only listing). */
export async function cleanupPlan(iam: IAMClient, username: string): Promise<PlannedCall[]> {
  const UserName = username;
  const client = { client: iam };
  const plan: PlannedCall[] = [];
  const hasProfile = await ignoreMissing(() => iam.send(new GetLoginProfileCommand({ UserName })));
  if (hasProfile) plan.push({ action: 'DeleteLoginProfile', params: { UserName } });
  for (const k of await collect(paginateListAccessKeys(client, { UserName }), (p) => p.AccessKeyMetadata)) {
    plan.push({ action: 'DeleteAccessKey', params: { UserName, AccessKeyId: k.AccessKeyId } });
  }
  for (const c of await collect(
    paginateListSigningCertificates(client, { UserName }),
    (p) => p.Certificates,
  )) {
    plan.push({ action: 'DeleteSigningCertificate', params: { UserName, CertificateId: c.CertificateId } });
  }
  for (const k of await collect(paginateListSSHPublicKeys(client, { UserName }), (p) => p.SSHPublicKeys)) {
    plan.push({ action: 'DeleteSSHPublicKey', params: { UserName, SSHPublicKeyId: k.SSHPublicKeyId } });
  }
  for (const c of await listServiceCredentials(iam, UserName)) {
    plan.push({
      action: 'DeleteServiceSpecificCredential',
      params: { UserName, ServiceSpecificCredentialId: c.ServiceSpecificCredentialId },
    });
  }
  for (const d of await collect(paginateListMFADevices(client, { UserName }), (p) => p.MFADevices)) {
    plan.push({ action: 'DeactivateMFADevice', params: { UserName, SerialNumber: d.SerialNumber } });
    // Virtual devices (serial is an ARN) are deleted too; hardware ones only deactivated.
    if (d.SerialNumber?.startsWith('arn:')) {
      plan.push({ action: 'DeleteVirtualMFADevice', params: { SerialNumber: d.SerialNumber } });
    }
  }
  for (const n of await collect(paginateListUserPolicies(client, { UserName }), (p) => p.PolicyNames)) {
    plan.push({ action: 'DeleteUserPolicy', params: { UserName, PolicyName: n } });
  }
  for (const p of await collect(
    paginateListAttachedUserPolicies(client, { UserName }),
    (x) => x.AttachedPolicies,
  )) {
    plan.push({ action: 'DetachUserPolicy', params: { UserName, PolicyArn: p.PolicyArn } });
  }
  for (const g of await collect(paginateListGroupsForUser(client, { UserName }), (p) => p.Groups)) {
    plan.push({ action: 'RemoveUserFromGroup', params: { UserName, GroupName: g.GroupName } });
  }
  return plan;
}

/**
 * Service-specific credentials (CodeCommit, Keyspaces). Some IAM-compatible endpoints (moto) do not implement
 * the call and answer with a non-IAM error page; only a real IAM error is fatal there.
 */
async function listServiceCredentials(iam: IAMClient, UserName: string) {
  try {
    return (
      (await iam.send(new ListServiceSpecificCredentialsCommand({ UserName }))).ServiceSpecificCredentials ??
      []
    );
  } catch (err) {
    if (err instanceof IAMServiceException && !/^(Error|UnknownError)$/.test(err.name)) throw err;
    return [];
  }
}

export interface DeleteOptions {
  dryRun?: boolean;
  /** Cleanup + DeleteUser rounds before giving up on DeleteConflict. */
  attempts?: number;
  /** Merged into the audit event's details (e.g. why the user was due). */
  auditDetails?: Record<string, unknown>;
}

/**
 * Deletes a user with everything attached, in AWS's order; `absent` when already gone. A DeleteConflict
 * (something was added meanwhile, or IAM has not caught up) or EntityTemporarilyUnmodifiable triggers
 * another cleanup round after a backoff.
 */
export async function deleteUser(
  ctx: CoreContext,
  input: { account: string; username: string },
  who: Actor,
  opts: DeleteOptions = {},
): Promise<{ status: 'deleted' | 'absent' | 'dry-run'; removed: string[]; plan: PlannedCall[] }> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  if (!(await getUser(iam, input.username))) {
    await audited(ctx, who, { action: 'user.delete', account, target: input.username }, async () => ({
      result: undefined,
      outcome: 'noop',
      details: { reason: 'absent', ...opts.auditDetails },
    }));
    return { status: 'absent', removed: [], plan: [] };
  }
  const deleteCall: PlannedCall = { action: 'DeleteUser', params: { UserName: input.username } };
  const firstPlan = [...(await cleanupPlan(iam, input.username)), deleteCall];
  type Deleted = { status: 'deleted' | 'dry-run'; removed: string[]; plan: PlannedCall[] };
  return audited<Deleted>(
    ctx,
    who,
    { action: 'user.delete', account, target: input.username },
    async (trail) => {
      if (opts.dryRun) {
        return {
          result: { status: 'dry-run', removed: [], plan: firstPlan },
          outcome: 'dry-run',
          details: { calls: firstPlan.map(describeCall) },
        };
      }
      const removed = await removeAll(
        ctx,
        iam,
        input.username,
        firstPlan.slice(0, -1),
        trail,
        opts.attempts ?? 5,
      );
      return {
        result: { status: 'deleted', removed, plan: firstPlan },
        details: { removed, ...opts.auditDetails },
      };
    },
  );
}

/** Cleanup rounds, then DeleteUser, until it sticks; a failure names its step and what was removed. */
async function removeAll(
  ctx: CoreContext,
  iam: IAMClient,
  username: string,
  firstRound: PlannedCall[],
  trail: AuditTrail,
  attempts: number,
): Promise<string[]> {
  const deleteCall: PlannedCall = { action: 'DeleteUser', params: { UserName: username } };
  const removed: string[] = [];
  let plan = firstRound;
  let step = '';
  try {
    for (let round = 1; ; round++) {
      for (const call of plan) {
        step = describeCall(call);
        await ignoreMissing(() => withRetry(ctx, () => runCall(iam, call), isUnmodifiable, { attempts: 5 }));
        removed.push(step);
      }
      step = 'DeleteUser';
      try {
        await withRetry(ctx, () => runCall(iam, deleteCall), isUnmodifiable, { attempts: 5 });
        break;
      } catch (err) {
        if (err instanceof NoSuchEntityException) break;
        if (!isTransientConflict(err) || round >= attempts) throw err;
        await sleeperOf(ctx)(500 * 2 ** (round - 1));
        plan = await cleanupPlan(iam, username);
      }
    }
  } catch (err) {
    const failure = new StepFailedError(step, [], [], { cause: err });
    await trail.fail(failure, { details: { removed } });
    throw failure;
  }
  return removed;
}
