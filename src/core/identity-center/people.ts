import {
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupMembershipCommand,
  DeleteUserCommand,
  DescribeGroupCommand,
  DescribeUserCommand,
  type IdentitystoreClient,
  paginateListGroupMemberships,
  paginateListGroupMembershipsForMember,
  paginateListGroups,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import type { Config } from '../../config.js';
import {
  AwsUserError,
  ConflictError,
  errorMessage,
  NotFoundError,
  StepFailedError,
  ValidationError,
} from '../../errors.js';
import { audited } from '../audit.js';
import { collect } from '../aws/paging.js';
import { awsErrorName } from '../aws/retry.js';
import { DAY_MS } from '../clock.js';
import type { Actor, CoreContext } from '../context.js';
import { EMAIL_RE, type PlannedCall } from '../templates.js';
import { assignmentsOfUser, deleteAssignment, type ListedAssignment } from './assignments.js';
import { identityCenter } from './directory.js';

/**
 * IAM Identity Center people: Identity Store users made from a template, offboarded, and deleted later.
 * An Identity Store user has no password the bot could set and no tags; see MARKER_PREFIX for where the
 * deletion date lives instead.
 */

/** Identity Store's UserName: 1-128 characters, no spaces or control characters. */
export const IC_USERNAME_RE = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
/** UserNames Identity Store keeps for itself (case-insensitive). */
const RESERVED_USERNAMES = ['administrator', 'awsadministrators'];
const NAME_MAX = 1024;

/**
 * The deletion date of an offboarded user is kept in AWS, not in the bot's store: the user is made a member of
 * an Identity Store group named `aws-user-delete-after-<YYYY-MM-DD>`, which holds no access (the bot creates it
 * and never assigns it). Identity Store users have no tags, and moto and AWS both keep memberships, so the
 * sweep finds due users from AWS alone, as the IAM sweep does from the `aws-user:delete-after` tag: a lost or
 * new store still deletes them, and an admin sees the date in the console (and can keep someone by removing
 * them from that group).
 */
export const MARKER_PREFIX = 'aws-user-delete-after-';
const MARKER_RE = /^aws-user-delete-after-(\d{4}-\d{2}-\d{2})$/;

export interface IdentityUserInput {
  userName: string;
  displayName: string;
  givenName: string;
  familyName: string;
  email: string;
  /** Identity Store group display names. */
  groups: readonly string[];
}

export interface IdentityUserResult {
  status: 'created';
  userId: string;
  userName: string;
  identityStoreId: string;
  groups: string[];
}

function checkName(field: string, value: string, example: string): void {
  if (!value.trim() || value.length > NAME_MAX)
    throw new ValidationError(field, `must be 1-${NAME_MAX} characters`, `e.g. ${example}`);
}

/** Shape checks only: no AWS call. */
export function checkIdentityUserInput(input: IdentityUserInput): void {
  if (!IC_USERNAME_RE.test(input.userName))
    throw new ValidationError(
      'username',
      'an Identity Center user name is 1-128 letters, digits or punctuation, without spaces',
      'e.g. jane.doe',
    );
  if (RESERVED_USERNAMES.includes(input.userName.toLowerCase()))
    throw new ValidationError(
      'username',
      `"${input.userName}" is reserved by IAM Identity Center`,
      'pick another name',
    );
  if (!EMAIL_RE.test(input.email))
    throw new ValidationError('email', 'an Identity Center user needs a work email', 'e.g. jane@example.com');
  checkName('displayName', input.displayName, 'Jane Doe');
  checkName('givenName', input.givenName, 'Jane');
  checkName('familyName', input.familyName, 'Doe');
  for (const g of input.groups) checkName('groups', g, 'Engineers');
}

/**
 * Everything a create needs, checked before any change: the input's shape, that every group exists, and that
 * no user has the name or the email yet. Returns the groups' ids. Read-only.
 */
export async function validateIdentityUser(
  ctx: CoreContext,
  input: IdentityUserInput,
): Promise<{ identityStoreId: string; groups: { name: string; id: string }[] }> {
  checkIdentityUserInput(input);
  const ic = identityCenter(ctx);
  const { identityStoreId } = await ic.instance();
  const groups: { name: string; id: string }[] = [];
  for (const name of new Set(input.groups)) {
    const id = await ic.groupId(name);
    if (!id)
      throw new ValidationError(
        'groups',
        `Identity Center group "${name}" does not exist in ${identityStoreId}`,
        'create it in IAM Identity Center or fix the template',
      );
    groups.push({ name, id });
  }
  if (await ic.userId({ userName: input.userName }))
    throw new ConflictError(
      `an Identity Center user named "${input.userName}" already exists in ${identityStoreId}; pick another name`,
    );
  if (await ic.userId({ email: input.email }))
    throw new ConflictError(
      `an Identity Center user with the email ${input.email} already exists in ${identityStoreId}; offboard or rename that user first`,
    );
  return { identityStoreId, groups };
}

/** The user's id and group display names (the bot's deletion-day markers left out); undefined when none. */
export async function describeIdentityUser(
  ctx: CoreContext,
  userName: string,
): Promise<{ userId: string; groups: string[] } | undefined> {
  const ic = identityCenter(ctx);
  const userId = await ic.userId({ userName });
  if (!userId) return undefined;
  const { identityStoreId } = await ic.instance();
  const memberships = await membershipsOf(ic.identityStore(), identityStoreId, userId);
  return { userId, groups: memberships.map((m) => m.group).filter((g) => !MARKER_RE.test(g)) };
}

/**
 * Creates the Identity Store user (UserName, DisplayName, Name, primary work email) and adds it to the
 * groups. A failed membership rolls back: the memberships made, then the user. No password exists: Identity
 * Center users sign in through the AWS access portal (see the create flow's DM for how).
 */
export async function createIdentityUser(
  ctx: CoreContext,
  input: IdentityUserInput,
  who: Actor,
): Promise<IdentityUserResult> {
  const scope = { action: 'identity-center.user.create', account: 'identity-center', target: input.userName };
  return audited<IdentityUserResult>(ctx, who, scope, async (trail) => {
    const { identityStoreId, groups } = await validateIdentityUser(ctx, input);
    const ids = identityCenter(ctx).identityStore();
    const details = { identityStoreId, email: input.email, groups: groups.map((g) => g.name) };
    let userId: string | undefined;
    try {
      userId = (
        await ids.send(
          new CreateUserCommand({
            IdentityStoreId: identityStoreId,
            UserName: input.userName,
            DisplayName: input.displayName,
            Name: { GivenName: input.givenName, FamilyName: input.familyName },
            Emails: [{ Value: input.email, Type: 'work', Primary: true }],
          }),
        )
      ).UserId;
    } catch (err) {
      throw new StepFailedError('CreateUser', [], [], { cause: err });
    }
    if (!userId)
      throw new StepFailedError('CreateUser', [], [], { cause: new Error('AWS returned no UserId') });
    const made: { name: string; membershipId: string }[] = [];
    for (const g of groups) {
      try {
        const out = await ids.send(
          new CreateGroupMembershipCommand({
            IdentityStoreId: identityStoreId,
            GroupId: g.id,
            MemberId: { UserId: userId },
          }),
        );
        if (out.MembershipId) made.push({ name: g.name, membershipId: out.MembershipId });
      } catch (err) {
        const { rolledBack, failures } = await rollbackCreate(ids, identityStoreId, userId, made);
        const failure = new StepFailedError(`CreateGroupMembership ${g.name}`, rolledBack, failures, {
          cause: err,
        });
        await trail.fail(failure, {
          details: { ...details, userId, rolledBack, rollbackFailures: failures },
        });
        throw failure;
      }
    }
    ctx.logger.info({ userName: input.userName, userId }, 'identity center user created');
    return {
      result: {
        status: 'created',
        userId,
        userName: input.userName,
        identityStoreId,
        groups: made.map((m) => m.name),
      },
      details: { ...details, userId },
    };
  });
}

async function rollbackCreate(
  ids: IdentitystoreClient,
  identityStoreId: string,
  userId: string,
  made: readonly { name: string; membershipId: string }[],
): Promise<{ rolledBack: string[]; failures: string[] }> {
  const rolledBack: string[] = [];
  const failures: string[] = [];
  const undo = async (step: string, fn: () => Promise<unknown>) => {
    try {
      await fn().catch((e: unknown) => {
        if (!(e instanceof ResourceNotFoundException)) throw e;
      });
      rolledBack.push(step);
    } catch (err) {
      failures.push(`${step} (${awsErrorName(err)})`);
    }
  };
  for (const m of [...made].reverse())
    await undo(`CreateGroupMembership ${m.name}`, () =>
      ids.send(
        new DeleteGroupMembershipCommand({ IdentityStoreId: identityStoreId, MembershipId: m.membershipId }),
      ),
    );
  await undo('CreateUser', () =>
    ids.send(new DeleteUserCommand({ IdentityStoreId: identityStoreId, UserId: userId })),
  );
  return { rolledBack, failures };
}

export interface OffboardIdentityInput {
  userName?: string;
  userId?: string;
  removeAfterDays?: number;
}

export interface OffboardIdentityResult {
  status: 'offboarded' | 'already-offboarded' | 'dry-run';
  userId: string;
  userName: string;
  removedGroups: string[];
  removedAssignments: { account: string; permissionSetArn: string }[];
  /** The calls the offboarding makes (made, or with dryRun: would make), as the IAM offboarding lists its own. */
  plan: PlannedCall[];
  /** The day (UTC) from which the sweep deletes the user; absent when no deletion is scheduled. */
  deleteAfter?: string;
}

/** identity_center.remove_after_days when not set: a month to undo a mistaken offboarding. */
export const DEFAULT_IC_REMOVE_AFTER_DAYS = 30;

/** How many days an offboarded Identity Center user is kept before the sweep deletes it (Slack and CLI). */
export function identityRemoveAfterDays(config: Pick<Config, 'identity_center'>): number {
  return config.identity_center?.remove_after_days ?? DEFAULT_IC_REMOVE_AFTER_DAYS;
}

/** The UTC day on or after `days` whole days from now, so a user is never deleted before its time. */
export function deletionDay(now: Date, days: number): string {
  return new Date(now.getTime() + days * DAY_MS + DAY_MS - 1).toISOString().slice(0, 10);
}

/**
 * Cuts an Identity Center user's access at once: every group membership and every account assignment made
 * to the user directly (each deletion waited for until AWS reports it done). With `removeAfterDays`, the user
 * also joins the marker group of its deletion day (MARKER_PREFIX), which the sweep reads. The user itself is
 * kept until then, so a mistaken offboarding can be undone by adding the memberships back.
 */
export async function offboardIdentityUser(
  ctx: CoreContext,
  input: OffboardIdentityInput,
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<OffboardIdentityResult> {
  if (!input.userId && !input.userName)
    throw new ValidationError('username', 'name the Identity Center user to offboard', 'e.g. jane.doe');
  if (input.userName !== undefined && !IC_USERNAME_RE.test(input.userName))
    throw new ValidationError(
      'username',
      'not an Identity Center user name (1-128 characters, no spaces)',
      'e.g. jane.doe',
    );
  if (
    input.removeAfterDays !== undefined &&
    !(Number.isInteger(input.removeAfterDays) && input.removeAfterDays >= 0)
  )
    throw new ValidationError(
      'removeAfterDays',
      'must be a whole number of days, 0 or more',
      'e.g. --remove-after 30',
    );
  const ic = identityCenter(ctx);
  const { identityStoreId } = await ic.instance();
  const ids = ic.identityStore();
  const userId = input.userId ?? (await ic.userId({ userName: input.userName }));
  if (!userId)
    throw new NotFoundError(`no Identity Center user named "${input.userName}" in ${identityStoreId}`);
  let userName: string;
  try {
    const u = await ids.send(new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: userId }));
    userName = u.UserName ?? input.userName ?? userId;
  } catch (err) {
    if (err instanceof ResourceNotFoundException)
      throw new NotFoundError(`no Identity Center user ${input.userName ?? userId} in ${identityStoreId}`);
    throw err;
  }
  const scope = { action: 'identity-center.user.offboard', account: 'identity-center', target: userName };
  return audited<OffboardIdentityResult>(ctx, who, scope, async (trail) => {
    const memberships = await membershipsOf(ids, identityStoreId, userId);
    const markers = memberships.filter((m) => MARKER_RE.test(m.group));
    const access = memberships.filter((m) => !MARKER_RE.test(m.group));
    const assignments = await assignmentsOfUser(ctx, userId);
    const removedGroups: string[] = [];
    const removedAssignments: { account: string; permissionSetArn: string }[] = [];
    const done = () => ({ removedGroups, removedAssignments });
    const changed = access.length + assignments.length > 0;
    const dated = markers[0] ? MARKER_RE.exec(markers[0].group)?.[1] : undefined;
    // As with the IAM tag: a repeated offboarding that changes nothing keeps the date already set.
    const day =
      input.removeAfterDays !== undefined && (changed || !dated)
        ? deletionDay(ctx.clock.now(), input.removeAfterDays)
        : undefined;
    const deleteAfter = day ?? dated;
    const plan = offboardPlan(userName, access, assignments, markers, day);
    const status = changed || (deleteAfter && !markers.length) ? 'offboarded' : 'already-offboarded';
    const details = { userId, identityStoreId, ...(deleteAfter ? { deleteAfter } : {}), plan };
    if (opts.dryRun && status === 'offboarded') {
      const result = {
        status: 'dry-run' as const,
        userId,
        userName,
        ...done(),
        plan,
        ...(deleteAfter ? { deleteAfter } : {}),
      };
      return { result, outcome: 'dry-run' as const, details };
    }
    const fail = async (step: string, err: unknown): Promise<never> => {
      const failure = new StepFailedError(step, [], [], { cause: err });
      await trail.fail(failure, {
        details: { userId, ...done(), previous: previousOf(access, assignments) },
      });
      throw failure;
    };
    for (const m of access) {
      try {
        await leaveGroup(ids, identityStoreId, m.membershipId);
      } catch (err) {
        await fail(`DeleteGroupMembership ${m.group}`, err);
      }
      removedGroups.push(m.group);
    }
    for (const a of assignments) {
      try {
        await deleteAssignment(ctx, {
          account: a.account,
          permissionSetArn: a.permissionSetArn,
          principalId: userId,
        });
      } catch (err) {
        await fail(`DeleteAccountAssignment ${a.permissionSetArn} in ${a.account}`, err);
      }
      removedAssignments.push({ account: a.account, permissionSetArn: a.permissionSetArn });
    }
    if (day) {
      try {
        if (!markers.some((m) => m.group === MARKER_PREFIX + day))
          await joinMarker(ids, identityStoreId, userId, day);
        for (const m of markers.filter((x) => x.group !== MARKER_PREFIX + day))
          await leaveGroup(ids, identityStoreId, m.membershipId);
      } catch (err) {
        await fail(`mark for deletion on ${day}`, err);
      }
    }
    const result: OffboardIdentityResult = {
      status,
      userId,
      userName,
      ...done(),
      plan,
      ...(deleteAfter ? { deleteAfter } : {}),
    };
    return {
      result,
      ...(status === 'already-offboarded' ? { outcome: 'noop' as const } : {}),
      details: { ...details, ...done() },
    };
  });
}

/** The calls an offboarding makes, in order: memberships, assignments, then the deletion-day marker. */
function offboardPlan(
  userName: string,
  access: readonly Membership[],
  assignments: readonly ListedAssignment[],
  markers: readonly Membership[],
  day: string | undefined,
): PlannedCall[] {
  const marker = day ? MARKER_PREFIX + day : undefined;
  return [
    ...access.map((m) => ({
      action: 'DeleteGroupMembership',
      params: { UserName: userName, GroupName: m.group },
    })),
    ...assignments.map((a) => ({
      action: 'DeleteAccountAssignment',
      params: { UserName: userName, AccountId: a.account, PermissionSetArn: a.permissionSetArn },
    })),
    ...(marker && !markers.some((m) => m.group === marker)
      ? [{ action: 'CreateGroupMembership', params: { UserName: userName, GroupName: marker } }]
      : []),
    ...(marker
      ? markers
          .filter((m) => m.group !== marker)
          .map((m) => ({
            action: 'DeleteGroupMembership',
            params: { UserName: userName, GroupName: m.group },
          }))
      : []),
  ];
}

function previousOf(access: readonly Membership[], assignments: readonly ListedAssignment[]) {
  return {
    groups: access.map((m) => m.group),
    assignments: assignments.map((a) => ({ account: a.account, permissionSetArn: a.permissionSetArn })),
  };
}

interface Membership {
  membershipId: string;
  groupId: string;
  group: string;
}

async function ignoreNotFound<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/** Ends one group membership; one already gone is not an error. */
function leaveGroup(ids: IdentitystoreClient, identityStoreId: string, membershipId: string) {
  return ignoreNotFound(() =>
    ids.send(
      new DeleteGroupMembershipCommand({ IdentityStoreId: identityStoreId, MembershipId: membershipId }),
    ),
  );
}

/** The user's group memberships with each group's display name (one DescribeGroup per group). */
async function membershipsOf(
  ids: IdentitystoreClient,
  identityStoreId: string,
  userId: string,
): Promise<Membership[]> {
  const rows = await collect(
    paginateListGroupMembershipsForMember(
      { client: ids },
      { IdentityStoreId: identityStoreId, MemberId: { UserId: userId } },
    ),
    (p) => p.GroupMemberships,
  );
  const out: Membership[] = [];
  for (const r of rows) {
    if (!r.MembershipId || !r.GroupId) continue;
    const g = await ignoreNotFound(() =>
      ids.send(new DescribeGroupCommand({ IdentityStoreId: identityStoreId, GroupId: r.GroupId })),
    );
    out.push({ membershipId: r.MembershipId, groupId: r.GroupId, group: g?.DisplayName ?? r.GroupId });
  }
  return out;
}

async function joinMarker(
  ids: IdentitystoreClient,
  identityStoreId: string,
  userId: string,
  day: string,
): Promise<void> {
  const DisplayName = MARKER_PREFIX + day;
  let groupId = (await listMarkers(ids, identityStoreId)).find((g) => g.name === DisplayName)?.id;
  if (!groupId)
    groupId = (
      await ids.send(
        new CreateGroupCommand({
          IdentityStoreId: identityStoreId,
          DisplayName,
          Description: `aws-user: its members were offboarded and are deleted on or after ${day}. It grants nothing: never assign it access. Remove a member to keep that user.`,
        }),
      )
    ).GroupId;
  if (!groupId) throw new Error(`CreateGroup ${DisplayName} returned no GroupId`);
  await ids.send(
    new CreateGroupMembershipCommand({
      IdentityStoreId: identityStoreId,
      GroupId: groupId,
      MemberId: { UserId: userId },
    }),
  );
}

async function listMarkers(
  ids: IdentitystoreClient,
  identityStoreId: string,
): Promise<{ id: string; name: string; day: string }[]> {
  const groups = await collect(
    paginateListGroups({ client: ids }, { IdentityStoreId: identityStoreId }),
    (p) => p.Groups,
  );
  return groups.flatMap((g) => {
    const day = g.DisplayName ? MARKER_RE.exec(g.DisplayName)?.[1] : undefined;
    return g.GroupId && g.DisplayName && day ? [{ id: g.GroupId, name: g.DisplayName, day }] : [];
  });
}

export interface IdentitySweepResult {
  deleted: { userId: string; userName: string }[];
  failed: { userId: string; error: string }[];
}

/**
 * Deletes the Identity Center users whose deletion day (their marker group) has come, then the emptied
 * marker groups. Reads AWS only, so it works with a lost store. Does nothing when identity_center is not
 * configured. With dryRun: lists the users that are due and changes nothing.
 */
export async function sweepIdentityCenter(
  ctx: CoreContext,
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<IdentitySweepResult> {
  const deleted: IdentitySweepResult['deleted'] = [];
  const failed: IdentitySweepResult['failed'] = [];
  const ic = identityCenter(ctx);
  if (!ic.configured) return { deleted, failed };
  const { identityStoreId } = await ic.instance();
  const ids = ic.identityStore();
  const today = ctx.clock.now().toISOString().slice(0, 10);
  for (const marker of await listMarkers(ids, identityStoreId)) {
    if (marker.day > today) continue;
    const members = await collect(
      paginateListGroupMemberships({ client: ids }, { IdentityStoreId: identityStoreId, GroupId: marker.id }),
      (p) => p.GroupMemberships,
    );
    let left = 0;
    for (const m of members) {
      const userId = m.MemberId && 'UserId' in m.MemberId ? m.MemberId.UserId : undefined;
      if (!userId || !m.MembershipId) continue;
      if (opts.dryRun) {
        const user = await ignoreNotFound(() =>
          ids.send(new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: userId })),
        );
        if (user) deleted.push({ userId, userName: user.UserName ?? userId });
        continue;
      }
      try {
        const name = await deleteIdentityUser(ctx, ids, identityStoreId, userId, marker.day, who);
        if (name) deleted.push({ userId, userName: name });
        await leaveGroup(ids, identityStoreId, m.MembershipId);
      } catch (err) {
        left++;
        failed.push({ userId, error: err instanceof AwsUserError ? err.message : errorMessage(err) });
      }
    }
    if (left === 0 && !opts.dryRun) {
      try {
        await ignoreNotFound(() =>
          ids.send(new DeleteGroupCommand({ IdentityStoreId: identityStoreId, GroupId: marker.id })),
        );
      } catch (err) {
        ctx.logger.warn(
          { group: marker.name, err: awsErrorName(err) },
          'could not delete an emptied marker group',
        );
      }
    }
  }
  return { deleted, failed };
}

/** DeleteUser, audited; the user's name when it was there, undefined when it was already gone. */
async function deleteIdentityUser(
  ctx: CoreContext,
  ids: IdentitystoreClient,
  identityStoreId: string,
  userId: string,
  day: string,
  who: Actor,
): Promise<string | undefined> {
  const user = await ignoreNotFound(() =>
    ids.send(new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: userId })),
  );
  if (!user) return undefined;
  const userName = user.UserName ?? userId;
  const scope = { action: 'identity-center.user.delete', account: 'identity-center', target: userName };
  return audited<string>(ctx, who, scope, async () => {
    await ids.send(new DeleteUserCommand({ IdentityStoreId: identityStoreId, UserId: userId }));
    return { result: userName, details: { userId, identityStoreId, deleteAfter: day } };
  });
}
