import {
  EntityAlreadyExistsException,
  GetGroupCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
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
  type User,
} from '@aws-sdk/client-iam';
import {
  AwsUserError,
  ConflictError,
  errorMessage,
  NotFoundError,
  StepFailedError,
  ValidationError,
} from '../errors.js';
import { DAY_MS } from './clock.js';
import type { Actor, CoreContext } from './context.js';
import { listUserDetails, tagValue } from './directory.js';
import { describeCall, runCall } from './iam-calls.js';
import {
  accountLabel,
  awsErrorName,
  collect,
  iamFor,
  isNoSuchEntity,
  isThrottle,
  isTransientConflict,
  isUnmodifiable,
  sleeperOf,
  withRetry,
} from './iam-util.js';
import { generatePassword } from './password.js';
import {
  createPlan,
  type DesiredState,
  desiredState,
  getTemplate,
  type PlannedCall,
  TAG,
  tagList,
  validateEmail,
  validateGroupName,
  validateUsername,
} from './templates.js';

export interface UserProfile {
  username: string;
  email: string;
  department?: string;
  manager?: string;
  costCenter?: string;
  slackUserId?: string;
}

export interface CreateUserInput extends UserProfile {
  account?: string;
  template: string;
  extraGroups?: string[];
  console?: boolean;
}

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

export interface UserSnapshot {
  account: string;
  username: string;
  arn: string;
  createdAt: string;
  tags: Record<string, string>;
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: Record<string, string>;
  permissionBoundary?: string;
  hasLoginProfile: boolean;
  accessKeys: { id: string; status: 'Active' | 'Inactive'; createdAt: string }[];
  mfaDevices: string[];
}

/**
 * Remembers which groups and policies exist, per account, for one run (a bulk import asks IAM once per
 * group, not once per user). Promises are cached so concurrent rows share one in-flight lookup.
 */
export class ExistenceCache {
  private readonly known = new Map<string, Promise<boolean>>();
  lookups = 0;

  private check(key: string, probe: () => Promise<unknown>): Promise<boolean> {
    let p = this.known.get(key);
    if (!p) {
      this.lookups++;
      p = probe().then(
        () => true,
        (err) => {
          if (err instanceof NoSuchEntityException) return false;
          this.known.delete(key);
          throw err;
        },
      );
      this.known.set(key, p);
    }
    return p;
  }

  group(iam: IAMClient, account: string, name: string): Promise<boolean> {
    return this.check(`${account}|g|${name}`, () =>
      iam.send(new GetGroupCommand({ GroupName: name, MaxItems: 1 })),
    );
  }

  policy(iam: IAMClient, account: string, arn: string): Promise<boolean> {
    return this.check(`${account}|p|${arn}`, () => iam.send(new GetPolicyCommand({ PolicyArn: arn })));
  }
}

export interface CreateOptions {
  dryRun?: boolean;
  /** Shared by bulk runs. */
  cache?: ExistenceCache;
}

/** IAM tag values: letters, digits, spaces and _ . : / = + - @, at most 256. */
const TAG_VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

function checkTagValue(field: string, value: string | undefined): void {
  if (value === undefined) return;
  if (!TAG_VALUE_RE.test(value)) {
    throw new ValidationError(
      field,
      `"${value.slice(0, 80)}" cannot be stored as an IAM tag value`,
      'use at most 256 letters, digits, spaces and _ . : / = + - @',
    );
  }
}

function profileTags(input: UserProfile): Record<string, string> {
  const tags: Record<string, string> = { Email: input.email };
  if (input.department) tags.Department = input.department;
  if (input.manager) tags.Manager = input.manager;
  if (input.costCenter) tags.CostCenter = input.costCenter;
  if (input.slackUserId) tags.SlackUserId = input.slackUserId;
  return tags;
}

/** Everything that can be checked without IAM. Returns the state the user should end up in. */
export function checkCreateInput(ctx: Pick<CoreContext, 'config'>, input: CreateUserInput): DesiredState {
  validateUsername(input.username);
  validateEmail(input.email);
  const template = getTemplate(ctx.config, input.template);
  for (const g of input.extraGroups ?? []) validateGroupName(g, 'groups');
  checkTagValue('department', input.department);
  checkTagValue('manager', input.manager);
  checkTagValue('costCenter', input.costCenter);
  checkTagValue('slackUserId', input.slackUserId);
  const state = desiredState(input.template, template, {
    extraGroups: input.extraGroups ?? [],
    tags: profileTags(input),
    ...(input.console !== undefined ? { console: input.console } : {}),
  });
  if (state.groups.length > 10) {
    throw new ValidationError(
      'groups',
      `${state.groups.length} groups requested`,
      'IAM allows at most 10 per user',
    );
  }
  if (state.managedPolicies.length > 10) {
    throw new ValidationError('template', 'more than 10 managed policies', 'IAM allows at most 10 per user');
  }
  return state;
}

/** Groups, policies and the boundary must exist before anything is created. */
async function checkRemote(
  iam: IAMClient,
  account: string,
  state: Pick<DesiredState, 'groups' | 'managedPolicies' | 'permissionBoundary'>,
  cache: ExistenceCache,
): Promise<void> {
  const groups = await Promise.all(
    state.groups.map(async (g) => [g, await cache.group(iam, account, g)] as const),
  );
  const missingGroups = groups.filter(([, ok]) => !ok).map(([g]) => g);
  if (missingGroups.length > 0) {
    throw new ValidationError(
      'groups',
      `unknown group${missingGroups.length > 1 ? 's' : ''} ${missingGroups.map((g) => `"${g}"`).join(', ')} in account ${account}`,
      'create the group in IAM first, or fix the template/row',
    );
  }
  const arns = [...state.managedPolicies, ...(state.permissionBoundary ? [state.permissionBoundary] : [])];
  const policies = await Promise.all(
    arns.map(async (p) => [p, await cache.policy(iam, account, p)] as const),
  );
  const missing = policies.filter(([, ok]) => !ok).map(([p]) => p);
  if (missing.length > 0) {
    throw new ValidationError(
      'policies',
      `unknown polic${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')} in account ${account}`,
      'check the ARN in the template',
    );
  }
}

async function getUser(iam: IAMClient, username: string): Promise<User | undefined> {
  try {
    return (await iam.send(new GetUserCommand({ UserName: username }))).User;
  } catch (err) {
    if (err instanceof NoSuchEntityException) return undefined;
    throw err;
  }
}

export async function userExists(
  ctx: CoreContext,
  account: string | undefined,
  username: string,
  who?: Actor,
): Promise<boolean> {
  validateUsername(username);
  return (await getUser(iamFor(ctx, account, who), username)) !== undefined;
}

/** The user's full IAM configuration: what offboarding records and what "identical" is judged against. */
export async function describeUser(
  ctx: CoreContext,
  account: string | undefined,
  username: string,
  who?: Actor,
): Promise<UserSnapshot> {
  const iam = iamFor(ctx, account, who);
  const label = accountLabel(ctx, account);
  const user = await getUser(iam, username);
  if (!user) throw new NotFoundError(`user "${username}" does not exist in account ${label}`);
  const client = { client: iam };
  const UserName = username;
  const [groups, managed, inlineNames, hasLoginProfile, keys, mfa] = await Promise.all([
    collect(paginateListGroupsForUser(client, { UserName }), (p) => p.Groups),
    collect(paginateListAttachedUserPolicies(client, { UserName }), (p) => p.AttachedPolicies),
    collect(paginateListUserPolicies(client, { UserName }), (p) => p.PolicyNames),
    iam.send(new GetLoginProfileCommand({ UserName })).then(
      () => true,
      (err) => {
        if (err instanceof NoSuchEntityException) return false;
        throw err;
      },
    ),
    collect(paginateListAccessKeys(client, { UserName }), (p) => p.AccessKeyMetadata),
    collect(paginateListMFADevices(client, { UserName }), (p) => p.MFADevices),
  ]);
  const inlinePolicies: Record<string, string> = {};
  for (const name of inlineNames) {
    const doc =
      (await iam.send(new GetUserPolicyCommand({ UserName, PolicyName: name }))).PolicyDocument ?? '';
    inlinePolicies[name] = safeDecode(doc);
  }
  const tags: Record<string, string> = {};
  for (const t of user.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    account: label,
    username,
    arn: user.Arn ?? '',
    createdAt: user.CreateDate?.toISOString() ?? '',
    tags,
    groups: groups.map((g) => g.GroupName ?? '').filter(Boolean),
    managedPolicies: managed.map((p) => p.PolicyArn ?? '').filter(Boolean),
    inlinePolicies,
    ...(user.PermissionsBoundary?.PermissionsBoundaryArn
      ? { permissionBoundary: user.PermissionsBoundary.PermissionsBoundaryArn }
      : {}),
    hasLoginProfile,
    accessKeys: keys.map((k) => ({
      id: k.AccessKeyId ?? '',
      status: k.Status === 'Inactive' ? ('Inactive' as const) : ('Active' as const),
      createdAt: k.CreateDate?.toISOString() ?? '',
    })),
    mfaDevices: mfa.map((d) => d.SerialNumber ?? '').filter(Boolean),
  };
}

/** IAM returns policy documents URL-encoded. */
function safeDecode(doc: string): string {
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

/** How an existing user differs from the state a create would give it ([] = identical). */
export function differences(snap: UserSnapshot, state: DesiredState): string[] {
  const diffs: string[] = [];
  for (const [k, v] of Object.entries(state.tags)) {
    if (snap.tags[k] !== v)
      diffs.push(`tag ${k} is ${JSON.stringify(snap.tags[k] ?? null)}, not ${JSON.stringify(v)}`);
  }
  if (!sameSet(snap.groups, state.groups)) diffs.push(`groups are [${snap.groups.join(', ')}]`);
  if (!sameSet(snap.managedPolicies, state.managedPolicies)) {
    diffs.push(`managed policies are [${snap.managedPolicies.join(', ')}]`);
  }
  const inline = Object.keys(snap.inlinePolicies);
  if (
    !sameSet(inline, Object.keys(state.inlinePolicies)) ||
    Object.entries(state.inlinePolicies).some(([n, d]) => !sameJson(snap.inlinePolicies[n] ?? '', d))
  ) {
    diffs.push(`inline policies are [${inline.join(', ')}]`);
  }
  if ((snap.permissionBoundary ?? undefined) !== state.permissionBoundary) {
    diffs.push(`permission boundary is ${snap.permissionBoundary ?? 'none'}`);
  }
  if (snap.hasLoginProfile !== state.console)
    diffs.push(snap.hasLoginProfile ? 'has console access' : 'has no console access');
  return diffs;
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
  const iam = iamFor(ctx, input.account, who);
  const account = accountLabel(ctx, input.account);
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
  const account = accountLabel(ctx, input.account);
  const audit = {
    actor: who.actor,
    action: 'user.create',
    account,
    target: input.username,
    requestId: who.requestId,
  };
  let state: DesiredState;
  const iam = iamFor(ctx, input.account, who);
  try {
    state = checkCreateInput(ctx, input);
    await checkRemote(iam, account, state, opts.cache ?? new ExistenceCache());
  } catch (err) {
    await ctx.auditor.record({ ...audit, outcome: 'failure', error: errorMessage(err) });
    throw err;
  }
  const plan = createPlan(input.username, state);
  const base = { account, username: input.username, plan, ...summary(state) };
  const details = { template: input.template, ...summary(state), tags: state.tags };

  if (opts.dryRun) {
    if (await getUser(iam, input.username)) {
      const snap = await assertIdentical(ctx, input, state, who);
      await ctx.auditor.record({
        ...audit,
        outcome: 'dry-run',
        details: { ...details, existing: 'identical' },
      });
      return { ...base, status: 'unchanged', arn: snap.arn, plan: [] };
    }
    await ctx.auditor.record({ ...audit, outcome: 'dry-run', details });
    return { ...base, status: 'dry-run' };
  }

  // Optimistic: CreateUser doubles as the existence check, which saves a call per user in bulk runs.
  const [createCall, ...rest] = plan as [PlannedCall, ...PlannedCall[]];
  let arn: string | undefined;
  try {
    arn = (await runCall(iam, createCall).then((o) => (o as { User?: User }).User))?.Arn;
  } catch (err) {
    if (err instanceof EntityAlreadyExistsException) {
      try {
        const snap = await assertIdentical(ctx, input, state, who);
        await ctx.auditor.record({
          ...audit,
          outcome: 'noop',
          details: { ...details, existing: 'identical' },
        });
        return { ...base, status: 'unchanged', arn: snap.arn, plan: [] };
      } catch (conflict) {
        await ctx.auditor.record({ ...audit, outcome: 'failure', error: errorMessage(conflict) });
        throw conflict;
      }
    }
    const failure = new StepFailedError('CreateUser', [], [], { cause: err });
    await ctx.auditor.record({ ...audit, outcome: 'failure', error: failure.message });
    throw failure;
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
        {
          attempts: 5,
          baseMs: 300,
        },
      );
      done.push(call);
    } catch (err) {
      password = undefined;
      const { rolledBack, failures } = await rollback(ctx, iam, done);
      const failure = new StepFailedError(describeCall(call), rolledBack, failures, { cause: err });
      await ctx.auditor.record({
        ...audit,
        outcome: 'failure',
        error: failure.message,
        details: { ...details, failedStep: describeCall(call), rolledBack, rollbackFailures: failures },
      });
      ctx.logger.warn(
        { username: input.username, step: describeCall(call), rolledBack },
        'create rolled back',
      );
      throw failure;
    }
  }
  await ctx.auditor.record({
    ...audit,
    outcome: 'success',
    details: { ...details, arn, console: state.console },
  });
  ctx.logger.info({ username: input.username, account }, 'user created');
  return { ...base, status: 'created', ...(arn ? { arn } : {}), ...(password ? { password } : {}) };
}

async function rollback(
  ctx: CoreContext,
  iam: IAMClient,
  done: readonly PlannedCall[],
): Promise<{ rolledBack: string[]; failures: string[] }> {
  const rolledBack: string[] = [];
  const failures: string[] = [];
  for (const call of [...done].reverse()) {
    const undo = undoFor(call);
    if (!undo) continue;
    try {
      // Rollback is what keeps a failed create from leaving a half-made user: be patient with throttling.
      await withRetry(
        ctx,
        () => runCall(iam, undo),
        (e) => isTransientConflict(e) || isThrottle(e),
        {
          attempts: 8,
          baseMs: 500,
        },
      ).catch((err) => {
        if (!(err instanceof NoSuchEntityException)) throw err;
      });
      rolledBack.push(describeCall(call));
    } catch (err) {
      failures.push(`${describeCall(call)} (${awsErrorName(err)})`);
    }
  }
  return { rolledBack, failures };
}

export interface UpdateUserInput {
  account?: string;
  username: string;
  addGroups?: string[];
  removeGroups?: string[];
  setTags?: Record<string, string>;
  removeTags?: string[];
  template?: string;
}

/** Computes the calls that move `snap` to what `input` asks for. */
function updatePlan(ctx: CoreContext, snap: UserSnapshot, input: UpdateUserInput): PlannedCall[] {
  const UserName = input.username;
  const addGroups = new Set(input.addGroups ?? []);
  const removeGroups = new Set(input.removeGroups ?? []);
  const attach = new Set<string>();
  const detach = new Set<string>();
  const putInline: Record<string, string> = {};
  const deleteInline = new Set<string>();
  const setTags: Record<string, string> = { ...(input.setTags ?? {}) };
  const removeTags = new Set(input.removeTags ?? []);
  let boundary: PlannedCall | undefined;

  if (input.template) {
    const next = desiredState(input.template, getTemplate(ctx.config, input.template), {});
    const oldName = snap.tags[TAG.template];
    const oldTemplate =
      oldName && Object.hasOwn(ctx.config.templates, oldName) ? ctx.config.templates[oldName] : undefined;
    const old = oldTemplate ? desiredState(oldName as string, oldTemplate, {}) : undefined;
    for (const g of next.groups) addGroups.add(g);
    for (const g of old?.groups ?? []) if (!next.groups.includes(g) && !addGroups.has(g)) removeGroups.add(g);
    for (const p of next.managedPolicies) attach.add(p);
    for (const p of old?.managedPolicies ?? []) if (!next.managedPolicies.includes(p)) detach.add(p);
    for (const [n, d] of Object.entries(next.inlinePolicies)) {
      if (!snap.inlinePolicies[n] || !sameJson(snap.inlinePolicies[n], d)) putInline[n] = d;
    }
    for (const n of Object.keys(old?.inlinePolicies ?? {}))
      if (!(n in next.inlinePolicies)) deleteInline.add(n);
    for (const [k, v] of Object.entries(next.tags)) if (!(k in setTags)) setTags[k] = v;
    for (const k of Object.keys(old?.tags ?? {})) if (!(k in next.tags) && !(k in setTags)) removeTags.add(k);
    if (next.permissionBoundary && next.permissionBoundary !== snap.permissionBoundary) {
      boundary = {
        action: 'PutUserPermissionsBoundary',
        params: { UserName, PermissionsBoundary: next.permissionBoundary },
      };
    } else if (
      !next.permissionBoundary &&
      snap.permissionBoundary &&
      snap.permissionBoundary === old?.permissionBoundary
    ) {
      boundary = { action: 'DeleteUserPermissionsBoundary', params: { UserName } };
    }
  }

  const plan: PlannedCall[] = [];
  if (boundary) plan.push(boundary);
  for (const g of addGroups)
    if (!snap.groups.includes(g)) plan.push({ action: 'AddUserToGroup', params: { UserName, GroupName: g } });
  for (const p of attach) {
    if (!snap.managedPolicies.includes(p))
      plan.push({ action: 'AttachUserPolicy', params: { UserName, PolicyArn: p } });
  }
  for (const [n, d] of Object.entries(putInline)) {
    plan.push({ action: 'PutUserPolicy', params: { UserName, PolicyName: n, PolicyDocument: d } });
  }
  const changedTags = Object.fromEntries(Object.entries(setTags).filter(([k, v]) => snap.tags[k] !== v));
  if (Object.keys(changedTags).length > 0)
    plan.push({ action: 'TagUser', params: { UserName, Tags: tagList(changedTags) } });
  for (const g of removeGroups) {
    if (snap.groups.includes(g))
      plan.push({ action: 'RemoveUserFromGroup', params: { UserName, GroupName: g } });
  }
  for (const p of detach) {
    if (snap.managedPolicies.includes(p))
      plan.push({ action: 'DetachUserPolicy', params: { UserName, PolicyArn: p } });
  }
  for (const n of deleteInline) {
    if (n in snap.inlinePolicies)
      plan.push({ action: 'DeleteUserPolicy', params: { UserName, PolicyName: n } });
  }
  const untag = [...removeTags].filter((k) => k in snap.tags && !(k in setTags));
  if (untag.length > 0) plan.push({ action: 'UntagUser', params: { UserName, TagKeys: untag } });
  return plan;
}

/** Tags, groups added or removed, and a template change (old template's grants out, new one's in). */
export async function updateUser(
  ctx: CoreContext,
  input: UpdateUserInput,
  who: Actor,
  opts: CreateOptions = {},
): Promise<{ changed: boolean; plan: PlannedCall[] }> {
  validateUsername(input.username);
  for (const g of [...(input.addGroups ?? []), ...(input.removeGroups ?? [])]) validateGroupName(g);
  const both = (input.addGroups ?? []).filter((g) => (input.removeGroups ?? []).includes(g));
  if (both.length > 0)
    throw new ValidationError('groups', `"${both[0]}" is both added and removed`, 'pick one');
  for (const [k, v] of Object.entries(input.setTags ?? {})) checkTagValue(`tags.${k}`, v);
  if (input.template) getTemplate(ctx.config, input.template);
  const iam = iamFor(ctx, input.account, who);
  const account = accountLabel(ctx, input.account);
  const audit = {
    actor: who.actor,
    action: 'user.update',
    account,
    target: input.username,
    requestId: who.requestId,
  };
  const snap = await describeUser(ctx, input.account, input.username, who);
  const plan = updatePlan(ctx, snap, input);
  const cache = opts.cache ?? new ExistenceCache();
  await checkRemote(
    iam,
    account,
    {
      groups: plan.filter((c) => c.action === 'AddUserToGroup').map((c) => String(c.params.GroupName)),
      managedPolicies: plan
        .filter((c) => c.action === 'AttachUserPolicy')
        .map((c) => String(c.params.PolicyArn)),
      permissionBoundary: plan.find((c) => c.action === 'PutUserPermissionsBoundary')?.params
        .PermissionsBoundary as string | undefined,
    },
    cache,
  );
  const details = { calls: plan.map(describeCall), before: { groups: snap.groups, tags: snap.tags } };
  if (plan.length === 0 || opts.dryRun) {
    await ctx.auditor.record({ ...audit, outcome: plan.length === 0 ? 'noop' : 'dry-run', details });
    return { changed: plan.length > 0, plan };
  }
  await runSteps(ctx, iam, plan, audit, details);
  await ctx.auditor.record({ ...audit, outcome: 'success', details });
  return { changed: true, plan };
}

/** Runs calls in order; on failure audits what was done and throws StepFailedError (no rollback). */
async function runSteps(
  ctx: CoreContext,
  iam: IAMClient,
  plan: readonly PlannedCall[],
  audit: { actor: string; action: string; account: string; target: string; requestId: string },
  details: Record<string, unknown>,
): Promise<string[]> {
  const done: string[] = [];
  for (const call of plan) {
    try {
      await withRetry(ctx, () => runCall(iam, call), isUnmodifiable, { attempts: 5 });
      done.push(describeCall(call));
    } catch (err) {
      const failure = new StepFailedError(describeCall(call), [], [], { cause: err });
      await ctx.auditor.record({
        ...audit,
        outcome: 'failure',
        error: failure.message,
        details: { ...details, done },
      });
      throw failure;
    }
  }
  return done;
}

/** What must go before DeleteUser, in the order AWS requires (read-only listing). */
export async function cleanupPlan(iam: IAMClient, username: string): Promise<PlannedCall[]> {
  const UserName = username;
  const client = { client: iam };
  const plan: PlannedCall[] = [];
  const hasProfile = await iam.send(new GetLoginProfileCommand({ UserName })).then(
    () => true,
    (err) => {
      if (err instanceof NoSuchEntityException) return false;
      throw err;
    },
  );
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
}

/**
 * Deletes a user with everything attached, in AWS's order; `absent` when already gone. A DeleteConflict
 * (something was added meanwhile, or IAM has not caught up) or EntityTemporarilyUnmodifiable triggers
 * another cleanup round after a backoff.
 */
export async function deleteUser(
  ctx: CoreContext,
  input: { account?: string; username: string },
  who: Actor,
  opts: DeleteOptions = {},
): Promise<{ status: 'deleted' | 'absent' | 'dry-run'; removed: string[]; plan: PlannedCall[] }> {
  validateUsername(input.username);
  const iam = iamFor(ctx, input.account, who);
  const account = accountLabel(ctx, input.account);
  const audit = {
    actor: who.actor,
    action: 'user.delete',
    account,
    target: input.username,
    requestId: who.requestId,
  };
  if (!(await getUser(iam, input.username))) {
    await ctx.auditor.record({ ...audit, outcome: 'noop', details: { reason: 'absent' } });
    return { status: 'absent', removed: [], plan: [] };
  }
  const deleteCall: PlannedCall = { action: 'DeleteUser', params: { UserName: input.username } };
  const firstPlan = [...(await cleanupPlan(iam, input.username)), deleteCall];
  if (opts.dryRun) {
    await ctx.auditor.record({
      ...audit,
      outcome: 'dry-run',
      details: { calls: firstPlan.map(describeCall) },
    });
    return { status: 'dry-run', removed: [], plan: firstPlan };
  }
  const removed: string[] = [];
  const attempts = opts.attempts ?? 5;
  let plan = firstPlan.slice(0, -1);
  let step = '';
  try {
    for (let round = 1; ; round++) {
      for (const call of plan) {
        step = describeCall(call);
        await withRetry(ctx, () => runCall(iam, call), isUnmodifiable, { attempts: 5 }).catch((err) => {
          if (!(err instanceof NoSuchEntityException)) throw err; // already gone: fine
        });
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
        plan = await cleanupPlan(iam, input.username);
      }
    }
  } catch (err) {
    const failure = new StepFailedError(step, [], [], { cause: err });
    await ctx.auditor.record({ ...audit, outcome: 'failure', error: failure.message, details: { removed } });
    throw failure;
  }
  await ctx.auditor.record({ ...audit, outcome: 'success', details: { removed } });
  return { status: 'deleted', removed, plan: firstPlan };
}

/**
 * Cuts a leaver's access but keeps the user (and its MFA device and boundary) so it can be restored: the
 * previous configuration goes into the audit event. Inline policies are removed too (they grant access as
 * much as attached ones do); their documents are in the snapshot.
 */
export async function offboardUser(
  ctx: CoreContext,
  input: { account?: string; username: string; removeAfterDays?: number },
  who: Actor,
  opts: { dryRun?: boolean } = {},
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
  const iam = iamFor(ctx, input.account, who);
  const account = accountLabel(ctx, input.account);
  const audit = {
    actor: who.actor,
    action: 'user.offboard',
    account,
    target: input.username,
    requestId: who.requestId,
  };
  const previous = await describeUser(ctx, input.account, input.username, who);
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
  const details = { previous, calls: plan.map(describeCall), ...(deleteAfter ? { deleteAfter } : {}) };
  if (plan.length === 0) {
    await ctx.auditor.record({ ...audit, outcome: 'noop', details });
    return { status: 'already-offboarded', previous, plan };
  }
  if (opts.dryRun) {
    await ctx.auditor.record({ ...audit, outcome: 'dry-run', details });
    return { status: 'dry-run', previous, plan };
  }
  await runSteps(ctx, iam, plan, audit, details);
  await ctx.auditor.record({ ...audit, outcome: 'success', details });
  return { status: 'offboarded', previous, plan };
}

/** The accounts a sweep covers: those given, else every configured one, else the home account. */
export function sweepAccounts(ctx: CoreContext, accounts?: string[]): (string | undefined)[] {
  if (accounts && accounts.length > 0) return accounts;
  if (ctx.config.accounts.length > 0) return ctx.config.accounts.map((a) => a.id);
  return [undefined];
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
  for (const acct of sweepAccounts(ctx, input.accounts)) {
    const label = accountLabel(ctx, acct);
    let users: Awaited<ReturnType<typeof listUserDetails>>;
    try {
      users = await listUserDetails(iamFor(ctx, acct, who));
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
        const r = await deleteUser(
          ctx,
          { ...(acct ? { account: acct } : {}), username: u.UserName },
          who,
          opts,
        );
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
