import { AwsUserError, errorMessage, ValidationError } from '../../errors.js';
import { audited } from '../audit.js';
import { describeCall } from '../aws/iam-calls.js';
import { awsErrorName } from '../aws/retry.js';
import { DAY_MS } from '../clock.js';
import type { Actor, CoreContext } from '../context.js';
import { TAG, tagList, tagValue } from '../tags.js';
import { type PlannedCall, validateUsername } from '../templates.js';
import { deleteUser } from './delete.js';
import { describeUser, type UserSnapshot } from './describe.js';
import { listUserDetails } from './directory.js';
import { runSteps } from './steps.js';

/**
 * Cuts a leaver's access but keeps the user (and its MFA device and boundary) so it can be restored: the
 * previous configuration goes into the audit event. Inline policies are removed too (they grant access as
 * much as attached ones do); their documents are in the snapshot.
 */
export async function offboardUser(
  ctx: CoreContext,
  input: { account: string; username: string; removeAfterDays?: number },
  who: Actor,
  opts: { dryRun?: boolean; auditDetails?: Record<string, unknown> } = {},
): Promise<{
  status: 'offboarded' | 'already-offboarded' | 'dry-run';
  previous: UserSnapshot;
  plan: PlannedCall[];
}> {
  validateUsername(input.username);
  if (
    input.removeAfterDays !== undefined &&
    !(Number.isInteger(input.removeAfterDays) && input.removeAfterDays >= 0)
  ) {
    throw new ValidationError(
      'removeAfterDays',
      'must be a whole number of days, 0 or more',
      'e.g. --remove-after 30',
    );
  }
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const previous = await describeUser(ctx, account, input.username, who);
  const UserName = input.username;
  const now = ctx.clock.now();
  const plan: PlannedCall[] = [];
  if (previous.hasLoginProfile) plan.push({ action: 'DeleteLoginProfile', params: { UserName } });
  for (const k of previous.accessKeys) {
    if (k.status === 'Active')
      plan.push({ action: 'UpdateAccessKey', params: { UserName, AccessKeyId: k.id, Status: 'Inactive' } });
  }
  for (const g of previous.groups)
    plan.push({ action: 'RemoveUserFromGroup', params: { UserName, GroupName: g } });
  for (const p of previous.managedPolicies)
    plan.push({ action: 'DetachUserPolicy', params: { UserName, PolicyArn: p } });
  for (const n of Object.keys(previous.inlinePolicies))
    plan.push({ action: 'DeleteUserPolicy', params: { UserName, PolicyName: n } });
  const tags: Record<string, string> = {};
  if (!previous.tags[TAG.offboardedAt]) tags[TAG.offboardedAt] = now.toISOString();
  let deleteAfter: string | undefined;
  if (input.removeAfterDays !== undefined) {
    deleteAfter = new Date(now.getTime() + input.removeAfterDays * DAY_MS).toISOString();
    if (previous.tags[TAG.deleteAfter] === undefined || plan.length > 0 || tags[TAG.offboardedAt]) {
      tags[TAG.deleteAfter] = deleteAfter;
    } else {
      deleteAfter = previous.tags[TAG.deleteAfter];
    }
  }
  if (Object.keys(tags).length > 0)
    plan.push({ action: 'TagUser', params: { UserName, Tags: tagList(tags) } });
  // Offboarding is what a temporary user's end does: once done, nothing is left for the reconcile to end.
  if (previous.tags[TAG.temporaryUntil] !== undefined)
    plan.push({ action: 'UntagUser', params: { UserName, TagKeys: [TAG.temporaryUntil] } });
  const details = {
    previous,
    calls: plan.map(describeCall),
    ...(deleteAfter ? { deleteAfter } : {}),
    ...opts.auditDetails,
  };
  type Offboarded = {
    status: 'offboarded' | 'already-offboarded' | 'dry-run';
    previous: UserSnapshot;
    plan: PlannedCall[];
  };
  return audited<Offboarded>(
    ctx,
    who,
    { action: 'user.offboard', account, target: UserName },
    async (trail) => {
      if (plan.length === 0)
        return { result: { status: 'already-offboarded', previous, plan }, outcome: 'noop', details };
      if (opts.dryRun) return { result: { status: 'dry-run', previous, plan }, outcome: 'dry-run', details };
      await runSteps(ctx, iam, plan, trail, details);
      return { result: { status: 'offboarded', previous, plan }, details };
    },
  );
}

/** Deletes offboarded users whose `aws-user:delete-after` date has passed. */
export async function sweepOffboarded(
  ctx: CoreContext,
  input: { accounts?: string[] },
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<{
  deleted: { account: string; username: string }[];
  failed: { account: string; username: string; error: string }[];
}> {
  const deleted: { account: string; username: string }[] = [];
  const failed: { account: string; username: string; error: string }[] = [];
  const now = ctx.clock.now().getTime();
  for (const { id: acct } of ctx.clients.select(input.accounts)) {
    const label = ctx.clients.resolve(acct).id;
    let users: Awaited<ReturnType<typeof listUserDetails>>;
    try {
      users = await listUserDetails(ctx.clients.iam(acct, who.actor));
    } catch (err) {
      failed.push({ account: label, username: '*', error: errorMessage(err) });
      continue;
    }
    for (const u of users) {
      const due = tagValue(u, TAG.deleteAfter);
      if (!u.UserName || !due || !tagValue(u, TAG.offboardedAt)) continue;
      const at = Date.parse(due);
      if (Number.isNaN(at) || at > now) continue;
      try {
        const r = await deleteUser(ctx, { account: acct, username: u.UserName }, who, opts);
        if (r.status !== 'absent') deleted.push({ account: label, username: u.UserName });
      } catch (err) {
        failed.push({
          account: label,
          username: u.UserName,
          error: err instanceof AwsUserError ? err.message : awsErrorName(err),
        });
      }
    }
  }
  return { deleted, failed };
}
