import { EntityAlreadyExistsException, type IAMClient, type User } from '@aws-sdk/client-iam';
import { ConflictError, StepFailedError } from '../../errors.js';
import { audited } from '../audit.js';
import { describeCall, runCall } from '../aws/iam-calls.js';
import {
  awsErrorName,
  ignoreMissing,
  isNoSuchEntity,
  isThrottle,
  isTransientConflict,
  isUnmodifiable,
  withRetry,
} from '../aws/retry.js';
import type { Actor, CoreContext } from '../context.js';
import { generatePassword } from '../password.js';
import { TAG, temporaryTagValue } from '../tags.js';
import { createPlan, type DesiredState, type PlannedCall } from '../templates.js';
import { describeUser, differences, getUser, type UserSnapshot } from './describe.js';
import { checkRemote, ExistenceCache } from './existence.js';
import { type CreateUserInput, checkCreateInput } from './input.js';

export interface CreateUserResult {
  status: 'created' | 'unchanged' | 'dry-run';
  account: string;
  username: string;
  arn?: string;
  plan: PlannedCall[];
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: string[];
  /** Only when a login profile was just created. Never logged, never audited. */
  password?: string;
}

export interface CreateOptions {
  dryRun?: boolean;
  /** Shared by bulk runs. */
  cache?: ExistenceCache;
}

/**
 * Checks a create request the way the Slack modal needs it: name, email, template, that the groups and
 * policies exist, and that no DIFFERENT user already has the name (an identical one is fine: creating it
 * again is a no-op). Throws ValidationError/ConflictError; makes read-only calls.
 */
export async function validateCreate(
  ctx: CoreContext,
  input: CreateUserInput,
  who?: Actor,
  cache = new ExistenceCache(),
): Promise<void> {
  const state = checkCreateInput(ctx, input);
  const iam = ctx.clients.iam(input.account, who?.actor);
  const account = ctx.clients.resolve(input.account).id;
  await checkRemote(iam, account, state, cache);
  if (await getUser(iam, input.username)) await assertIdentical(ctx, input, state, who);
}

async function assertIdentical(
  ctx: CoreContext,
  input: CreateUserInput,
  state: DesiredState,
  who: Actor | undefined,
): Promise<UserSnapshot> {
  const snap = await describeUser(ctx, input.account, input.username, who);
  const diffs = differences(snap, state);
  if (diffs.length > 0) {
    throw new ConflictError(
      `user "${input.username}" already exists in account ${snap.account} with a different configuration: ${diffs.join('; ')}; use update-user to change it, or pick another name`,
    );
  }
  return snap;
}

function summary(state: DesiredState) {
  return {
    groups: state.groups,
    managedPolicies: state.managedPolicies,
    inlinePolicies: Object.keys(state.inlinePolicies),
  };
}

/** Whether the SDK sent the call more than once: an earlier attempt may have landed without its answer. */
function retried(err: unknown): boolean {
  return ((err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) > 1;
}

/**
 * A user holding only what CreateUser itself sets (the planned tags and boundary) and nothing else: what a
 * CreateUser of ours leaves when it landed and its answer was lost. Anyone else's user would differ.
 */
function isOwnLostCreate(snap: UserSnapshot, state: DesiredState): boolean {
  // Tags only the bot writes (aws-user:…) may ride along on CreateUser outside the desired state.
  const sameTags =
    Object.keys(snap.tags).every((k) => k in state.tags || k.startsWith('aws-user:')) &&
    Object.entries(state.tags).every(([k, v]) => snap.tags[k] === v);
  return (
    sameTags &&
    (snap.permissionBoundary ?? undefined) === state.permissionBoundary &&
    snap.groups.length === 0 &&
    snap.managedPolicies.length === 0 &&
    Object.keys(snap.inlinePolicies).length === 0 &&
    !snap.hasLoginProfile &&
    snap.accessKeys.length === 0 &&
    snap.mfaDevices.length === 0
  );
}

/** Reverse-order undo for a created step. */
function undoFor(call: PlannedCall): PlannedCall | undefined {
  const UserName = call.params.UserName;
  switch (call.action) {
    case 'CreateUser':
      return { action: 'DeleteUser', params: { UserName } };
    case 'AddUserToGroup':
      return { action: 'RemoveUserFromGroup', params: { UserName, GroupName: call.params.GroupName } };
    case 'AttachUserPolicy':
      return { action: 'DetachUserPolicy', params: { UserName, PolicyArn: call.params.PolicyArn } };
    case 'PutUserPolicy':
      return { action: 'DeleteUserPolicy', params: { UserName, PolicyName: call.params.PolicyName } };
    case 'CreateLoginProfile':
      return { action: 'DeleteLoginProfile', params: { UserName } };
    default:
      return undefined;
  }
}

/**
 * Creates a user from a template: tags, boundary, groups, managed and inline policies and, when the
 * template (or input) wants console access, a login profile with a generated password and
 * PasswordResetRequired. Any failure rolls back, in reverse, everything this call created, and throws
 * StepFailedError naming the step. An identical existing user is `unchanged`; a different one a ConflictError.
 */
export async function createUser(
  ctx: CoreContext,
  input: CreateUserInput,
  who: Actor,
  opts: CreateOptions = {},
): Promise<CreateUserResult> {
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const scope = { action: 'user.create', account, target: input.username };
  return audited<CreateUserResult>(ctx, who, scope, async (trail) => {
    const state = checkCreateInput(ctx, input);
    await checkRemote(iam, account, state, opts.cache ?? new ExistenceCache());
    const plan = createPlan(input.username, state);
    if (input.temporary) {
      const params = (plan[0] as PlannedCall).params as { Tags: { Key: string; Value: string }[] };
      params.Tags = [...params.Tags, { Key: TAG.temporaryUntil, Value: temporaryTagValue(input.temporary) }];
    }
    const base = { account, username: input.username, plan, ...summary(state) };
    const details = {
      template: input.template,
      ...summary(state),
      tags: state.tags,
      ...(input.temporary ? { temporaryUntil: input.temporary.endsAt } : {}),
    };
    const identical = { ...details, existing: 'identical' };

    if (opts.dryRun) {
      if (await getUser(iam, input.username)) {
        const snap = await assertIdentical(ctx, input, state, who);
        return {
          result: { ...base, status: 'unchanged', arn: snap.arn, plan: [] },
          outcome: 'dry-run',
          details: identical,
        };
      }
      return { result: { ...base, status: 'dry-run' }, outcome: 'dry-run', details };
    }

    // Optimistic: CreateUser doubles as the existence check, which saves a call per user in bulk runs.
    const [createCall, ...rest] = plan as [PlannedCall, ...PlannedCall[]];
    let arn: string | undefined;
    try {
      arn = (await runCall(iam, createCall).then((o) => (o as { User?: User }).User))?.Arn;
    } catch (err) {
      if (!(err instanceof EntityAlreadyExistsException))
        throw new StepFailedError('CreateUser', [], [], { cause: err });
      const lost = retried(err) ? await describeUser(ctx, input.account, input.username, who) : undefined;
      if (lost && isOwnLostCreate(lost, state)) {
        // Our first attempt landed but its answer was lost: the user is ours, carry on with the plan.
        ctx.logger.warn({ username: input.username }, 'CreateUser landed on an earlier attempt; continuing');
        arn = lost.arn;
      } else {
        const snap = await assertIdentical(ctx, input, state, who);
        return {
          result: { ...base, status: 'unchanged', arn: snap.arn, plan: [] },
          outcome: 'noop',
          details: identical,
        };
      }
    }

    const done: PlannedCall[] = [createCall];
    let password: string | undefined;
    for (const call of rest) {
      try {
        let secret: string | undefined;
        if (call.action === 'CreateLoginProfile') {
          password = generatePassword(ctx.config.password_policy);
          secret = password;
        }
        // The new user may not be visible yet to the next call: retry NoSuchEntity briefly.
        await withRetry(
          ctx,
          () => runCall(iam, call, secret),
          (e) => isNoSuchEntity(e) || isUnmodifiable(e),
          { attempts: 5, baseMs: 300 },
        ).catch((e: unknown) => {
          // The login profile an earlier attempt made (answer lost) is this one: the retry sent the same password.
          if (
            !(call.action === 'CreateLoginProfile' && e instanceof EntityAlreadyExistsException && retried(e))
          )
            throw e;
        });
        done.push(call);
      } catch (err) {
        password = undefined;
        // A failed call may still have landed (its answer lost): undo it too; undoing what is not there is a no-op.
        const { rolledBack, failures } = await rollback(ctx, iam, done, call);
        const failure = new StepFailedError(describeCall(call), rolledBack, failures, { cause: err });
        await trail.fail(failure, {
          details: { ...details, failedStep: describeCall(call), rolledBack, rollbackFailures: failures },
        });
        ctx.logger.warn(
          { username: input.username, step: describeCall(call), rolledBack },
          'create rolled back',
        );
        throw failure;
      }
    }
    ctx.logger.info({ username: input.username, account }, 'user created');
    return {
      result: { ...base, status: 'created', ...(arn ? { arn } : {}), ...(password ? { password } : {}) },
      details: { ...details, arn, console: state.console },
    };
  });
}

async function rollback(
  ctx: CoreContext,
  iam: IAMClient,
  done: readonly PlannedCall[],
  failed: PlannedCall,
): Promise<{ rolledBack: string[]; failures: string[] }> {
  const rolledBack: string[] = [];
  const failures: string[] = [];
  for (const call of [failed, ...[...done].reverse()]) {
    const undo = undoFor(call);
    if (!undo) continue;
    try {
      // Rollback is what keeps a failed create from leaving a half-made user: be patient with throttling.
      await ignoreMissing(() =>
        withRetry(
          ctx,
          () => runCall(iam, undo),
          (e) => isTransientConflict(e) || isThrottle(e),
          {
            attempts: 8,
            baseMs: 500,
          },
        ),
      );
      // The failed call is undone quietly: whether it had landed is unknown, and undoing nothing is a no-op.
      if (call !== failed) rolledBack.push(describeCall(call));
    } catch (err) {
      failures.push(`${describeCall(call)} (${awsErrorName(err)})`);
    }
  }
  return { rolledBack, failures };
}
