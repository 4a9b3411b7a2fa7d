import { createHash } from 'node:crypto';
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
} from '@aws-sdk/client-iam';
import { DescribeUserCommand } from '@aws-sdk/client-identitystore';
import type { FileConfig, PermissionSetConfig, Template } from '../config.js';
import { ConflictError, errorMessage, NotFoundError, StepFailedError, ValidationError } from '../errors.js';
import { audited } from './audit.js';
import { ignoreMissing } from './aws/retry.js';
import type { Actor, CoreContext } from './context.js';
import { createAssignment, deleteAssignment, hasUserAssignment } from './identity-center/assignments.js';
import { identityCenter } from './identity-center/directory.js';
import { GRANT_TAG_RULE, grantTagProblem, grantTagValue, parseGrantTag, TAG } from './tags.js';

/**
 * Time-bound access: a group membership or managed policy added to an IAM user until an expiry. The expiry
 * lives in two places on purpose: the grant store (which the revoke job reads) and a tag on the user
 * (`aws-user:grant:<id>` = `<expiresAt> group:<Name>` or `<expiresAt> policy:<arn>`), so anyone looking at
 * the user in IAM sees what is temporary and what the store lost is still revoked (core/reconcile.ts). A grant never removes access the user had before it: granting what
 * the user already holds permanently is refused, so a revoke can never take away standing access.
 */
export type GrantKind = 'group' | 'policy' | 'permission-set';

export interface GrantSpec {
  account: string;
  /** The IAM user; for a permission set, the Identity Store UserName (shown, never used to act). */
  username: string;
  kind: GrantKind;
  /** Group name, managed policy ARN, or the permission set's name under `permission_sets`. */
  target: string;
  /** kind 'permission-set': the Identity Store user id the account assignment is made to. */
  principalId?: string;
  /** kind 'permission-set': the permission set's ARN, as configured when the grant was made. */
  permissionSetArn?: string;
}

/** A message the bot posted about a grant (its DM, notice or broadcast): the only ones its buttons update. */
export interface GrantMessage {
  channel: string;
  ts: string;
}

export interface Grant extends GrantSpec {
  id: string;
  requester: string;
  /** Slack user who owns the IAM user, for the pre-expiry DM. */
  ownerSlackId?: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
  breakGlass: boolean;
  approvers: string[];
  status: 'active' | 'revoking' | 'revoked';
  revokedAt?: string;
  revokedBy?: string;
  /** Where the bot posted about this grant, as Slack answered; a click elsewhere updates no message. */
  messages?: GrantMessage[];
}

export const GRANT_TAG_PREFIX = TAG.grantPrefix;
/** The tag provisioning writes with the template a user was made from. */
export const TEMPLATE_TAG = TAG.template;

/**
 * Same account, user, kind and target → same id: overlapping grants merge instead of stacking. A permission
 * set's grant is keyed by the Identity Store user id, which a rename of the UserName does not change.
 */
export function grantId(spec: GrantSpec): string {
  const who = spec.kind === 'permission-set' ? (spec.principalId ?? spec.username) : spec.username;
  const h = createHash('sha256').update(`${spec.account}|${who}|${spec.kind}|${spec.target}`);
  return h.digest('hex').slice(0, 16);
}

export interface GrantRequestInput {
  /** The caller's IAM template; unused for a permission set, whose own config entry holds its rules. */
  template: string;
  kind: GrantKind;
  target: string;
  durationMinutes: number;
  breakGlass?: boolean;
  /** kind 'permission-set': the account id asked for, and every managed account (what `"*"` means). */
  account?: string;
  managedAccounts?: readonly string[];
}

/** The configured permission set of that name, or a ValidationError naming the configured ones. */
export function permissionSetOf(
  config: Pick<FileConfig, 'permission_sets'>,
  name: string,
): PermissionSetConfig {
  const ps = Object.hasOwn(config.permission_sets, name) ? config.permission_sets[name] : undefined;
  if (!ps) {
    const names = Object.keys(config.permission_sets);
    throw new ValidationError(
      'target',
      `permission set "${String(name).slice(0, 64)}" is not configured`,
      names.length > 0
        ? `choose one of: ${names.join(', ')}`
        : 'ask an admin to add it under permission_sets',
    );
  }
  return ps;
}

/** The accounts a permission set may be requested in: its ids, or every managed account for "*". */
export function permissionSetAccounts(ps: PermissionSetConfig, managed: readonly string[]): string[] {
  return ps.accounts.includes('*') ? [...managed] : ps.accounts.filter((a) => managed.includes(a));
}

/** A permission set's own rules: configured, in one of its accounts, within its cap or break-glass's. */
function validatePermissionSetRequest(config: FileConfig, input: GrantRequestInput): void {
  const ps = permissionSetOf(config, input.target);
  const allowed = permissionSetAccounts(ps, input.managedAccounts ?? []);
  if (!input.account || !allowed.includes(input.account)) {
    throw new ValidationError(
      'account',
      `permission set ${input.target} may not be requested in account ${String(input.account ?? '(none)').slice(0, 20)}`,
      allowed.length > 0
        ? `choose one of: ${allowed.join(', ')}`
        : `ask an admin to list the account under permission_sets.${input.target}.accounts`,
    );
  }
  if (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 1) {
    throw new ValidationError('duration', 'must be a whole number of minutes, 1 or more');
  }
  if (input.breakGlass) {
    if (!ps.break_glass) {
      throw new ValidationError(
        'target',
        `permission set ${input.target} is not configured for break-glass`,
        'use /aws-user request for an approved grant, or ask an admin to set break_glass: true',
      );
    }
    const cap = config.break_glass.max_duration_minutes;
    if (input.durationMinutes > cap)
      throw new ValidationError(
        'duration',
        `break-glass is capped at ${cap} minutes`,
        `ask for ${cap} or less`,
      );
    return;
  }
  if (input.durationMinutes > ps.max_duration_hours * 60) {
    throw new ValidationError(
      'duration',
      `permission set ${input.target} may be granted for at most ${ps.max_duration_hours} h`,
      `ask for ${ps.max_duration_hours} h or less`,
    );
  }
}

/** What a template allows to be granted, for the request modal's options. */
export function grantableFor(template: Template): { kind: GrantKind; target: string }[] {
  return [
    ...template.grantable.groups.map((g) => ({ kind: 'group' as const, target: g })),
    ...template.grantable.managed_policies.map((p) => ({ kind: 'policy' as const, target: p })),
  ];
}

/** Checks a request against the config's allow-list and caps; throws ValidationError naming the field. */
export function validateGrantRequest(config: FileConfig, input: GrantRequestInput): void {
  if (input.kind === 'permission-set') {
    validatePermissionSetRequest(config, input);
    return;
  }
  const template = config.templates[input.template];
  if (!template) {
    throw new ValidationError(
      'template',
      `unknown template "${input.template}"`,
      `use one of: ${Object.keys(config.templates).join(', ')}`,
    );
  }
  const allowed = grantableFor(template).some((g) => g.kind === input.kind && g.target === input.target);
  if (!allowed) {
    const list = grantableFor(template)
      .map((g) => g.target)
      .join(', ');
    throw new ValidationError(
      'target',
      `${input.kind} "${input.target}" is not grantable for template ${input.template}`,
      list ? `choose one of: ${list}` : `template ${input.template} allows no time-bound access`,
    );
  }
  if (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 1) {
    throw new ValidationError('duration', 'must be a whole number of minutes, 1 or more');
  }
  if (input.breakGlass) {
    if (!template.break_glass) {
      throw new ValidationError(
        'template',
        `template ${input.template} is not configured for break-glass`,
        'use /aws-user request for an approved grant, or ask an admin to set break_glass: true',
      );
    }
    const cap = config.break_glass.max_duration_minutes;
    if (input.durationMinutes > cap) {
      throw new ValidationError(
        'duration',
        `break-glass is capped at ${cap} minutes`,
        `ask for ${cap} or less`,
      );
    }
  } else {
    const capMin = config.grants.max_duration_hours * 60;
    if (input.durationMinutes > capMin) {
      throw new ValidationError(
        'duration',
        `at most ${config.grants.max_duration_hours} h may be granted`,
        `ask for ${config.grants.max_duration_hours} h or less`,
      );
    }
  }
}

async function currentAccess(iam: IAMClient, account: string, username: string) {
  try {
    const [groups, policies, tags] = await Promise.all([
      iam.send(new ListGroupsForUserCommand({ UserName: username })),
      iam.send(new ListAttachedUserPoliciesCommand({ UserName: username })),
      iam.send(new ListUserTagsCommand({ UserName: username })),
    ]);
    return {
      groups: new Set((groups.Groups ?? []).map((g) => g.GroupName ?? '')),
      policies: new Set((policies.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '')),
      tags: new Map((tags.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  } catch (err) {
    if (err instanceof NoSuchEntityException) {
      throw new NotFoundError(`IAM user ${username} does not exist in account ${account}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Adds the access and (re)writes the expiry tag. Returns whether this extended an existing grant.
 * Idempotent: applying the same grant twice leaves one membership and the later expiry.
 */
export async function applyGrant(
  ctx: CoreContext,
  grant: Pick<Grant, 'account' | 'username' | 'kind' | 'target' | 'expiresAt' | 'breakGlass'> &
    Pick<GrantSpec, 'principalId' | 'permissionSetArn'>,
  who: Actor,
): Promise<{ extended: boolean }> {
  if (grant.kind === 'permission-set') return applyAssignment(ctx, grant, who);
  const kind = grant.kind;
  const iam = ctx.clients.iam(grant.account, who.actor);
  const id = grantId(grant);
  const access = await currentAccess(iam, grant.account, grant.username);
  const tagKey = `${GRANT_TAG_PREFIX}${id}`;
  const held = grant.kind === 'group' ? access.groups.has(grant.target) : access.policies.has(grant.target);
  const existingValue = access.tags.get(tagKey);
  const existing = existingValue === undefined ? undefined : (parseGrantTag(existingValue)?.expiresAt ?? '');
  if (held && existing === undefined) {
    throw new ConflictError(
      `${grant.username} already holds ${grant.kind} ${grant.target} permanently; nothing to grant (a time-bound grant would remove it on expiry)`,
    );
  }
  const expiresAt = existing && existing > grant.expiresAt ? existing : grant.expiresAt;
  const problem = grantTagProblem(expiresAt, grant.kind, grant.target);
  if (problem) throw new ValidationError('target', problem, GRANT_TAG_RULE);
  const action = existing ? 'grant.extend' : grant.breakGlass ? 'grant.break-glass' : 'grant.apply';
  return audited(ctx, who, { action, account: grant.account, target: grant.username }, async () => {
    if (!held) {
      try {
        if (grant.kind === 'group') {
          await iam.send(new AddUserToGroupCommand({ UserName: grant.username, GroupName: grant.target }));
        } else {
          await iam.send(new AttachUserPolicyCommand({ UserName: grant.username, PolicyArn: grant.target }));
        }
      } catch (err) {
        if (err instanceof NoSuchEntityException) {
          throw new NotFoundError(
            `${grant.kind} ${grant.target} does not exist in account ${grant.account}`,
            {
              cause: err,
            },
          );
        }
        throw err;
      }
    }
    try {
      await iam.send(
        new TagUserCommand({
          UserName: grant.username,
          Tags: [{ Key: tagKey, Value: grantTagValue(expiresAt, kind, grant.target) }],
        }),
      );
    } catch (err) {
      // Access without its expiry tag (and, the store write coming after this, without a record) would be
      // revoked by nothing: undo what this call added before failing.
      if (held) throw err;
      const step =
        grant.kind === 'group' ? `AddUserToGroup ${grant.target}` : `AttachUserPolicy ${grant.target}`;
      try {
        await removeAccess(iam, grant);
      } catch (undoErr) {
        throw new StepFailedError('TagUser', [], [`${step} (${errorMessage(undoErr)})`], { cause: err });
      }
      throw new StepFailedError('TagUser', [step], [], { cause: err });
    }
    return {
      result: { extended: existing !== undefined },
      details: {
        grantId: id,
        kind: grant.kind,
        grantTarget: grant.target,
        expiresAt,
        breakGlass: grant.breakGlass,
      },
    };
  });
}

/** Takes the group or policy away; one already gone is not an error. */
async function removeAccess(iam: IAMClient, spec: Pick<GrantSpec, 'username' | 'kind' | 'target'>) {
  if (spec.kind === 'group') {
    await ignoreMissing(() =>
      iam.send(new RemoveUserFromGroupCommand({ UserName: spec.username, GroupName: spec.target })),
    );
  } else {
    await ignoreMissing(() =>
      iam.send(new DetachUserPolicyCommand({ UserName: spec.username, PolicyArn: spec.target })),
    );
  }
}

/** Removes the access and the tag. Idempotent: a user, group or policy already gone is not an error. */
export async function revokeGrant(
  ctx: CoreContext,
  spec: GrantSpec,
  who: Actor,
  reason: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (spec.kind === 'permission-set') return revokeAssignment(ctx, spec, who, reason, extra);
  const iam = ctx.clients.iam(spec.account, who.actor);
  const id = grantId(spec);
  const scope = { action: 'grant.revoke', account: spec.account, target: spec.username };
  await audited(ctx, who, scope, async () => {
    await removeAccess(iam, spec);
    await ignoreMissing(() =>
      iam.send(new UntagUserCommand({ UserName: spec.username, TagKeys: [`${GRANT_TAG_PREFIX}${id}`] })),
    );
    return {
      result: undefined,
      details: { grantId: id, kind: spec.kind, grantTarget: spec.target, reason, ...extra },
    };
  });
}

/** The assignment a permission-set grant stands for; a grant without its ids cannot name one. */
function assignmentOf(spec: GrantSpec) {
  if (!spec.principalId || !spec.permissionSetArn)
    throw new ValidationError(
      'target',
      `permission-set grant ${spec.target} in ${spec.account} names no Identity Center user or permission set ARN`,
      'request it again through /aws-user request',
    );
  return { account: spec.account, principalId: spec.principalId, permissionSetArn: spec.permissionSetArn };
}

/** Whether the user holds the permission set in the account through a direct USER assignment. */
export function holdsAssignment(ctx: CoreContext, spec: GrantSpec): Promise<boolean> {
  return hasUserAssignment(ctx, assignmentOf(spec));
}

/**
 * A permission set for a while: CreateAccountAssignment, waited on until AWS says SUCCEEDED. No tag: Identity
 * Center has none on an assignment, so the grant store's record (written first, by the caller) is what
 * explains it, and the Identity Center reconcile job removes any assignment on an elevation_only set that no
 * record explains. Already held (the caller checked a live grant stands behind it): nothing to create.
 */
async function applyAssignment(
  ctx: CoreContext,
  grant: Pick<Grant, 'account' | 'username' | 'kind' | 'target' | 'expiresAt' | 'breakGlass'> &
    Pick<GrantSpec, 'principalId' | 'permissionSetArn'>,
  who: Actor,
): Promise<{ extended: boolean }> {
  const a = assignmentOf(grant);
  const held = await hasUserAssignment(ctx, a);
  const action = held ? 'grant.extend' : grant.breakGlass ? 'grant.break-glass' : 'grant.apply';
  return audited(ctx, who, { action, account: grant.account, target: grant.username }, async () => {
    if (!held) await createAssignment(ctx, a);
    return {
      result: { extended: held },
      details: {
        grantId: grantId(grant),
        kind: grant.kind,
        grantTarget: grant.target,
        principalId: a.principalId,
        permissionSetArn: a.permissionSetArn,
        expiresAt: grant.expiresAt,
        breakGlass: grant.breakGlass,
      },
    };
  });
}

/** DeleteAccountAssignment, waited on; an assignment already gone is not an error. */
async function revokeAssignment(
  ctx: CoreContext,
  spec: GrantSpec,
  who: Actor,
  reason: string,
  extra: Record<string, unknown>,
): Promise<void> {
  const a = assignmentOf(spec);
  const scope = { action: 'grant.revoke', account: spec.account, target: spec.username };
  await audited(ctx, who, scope, async () => {
    const held = await hasUserAssignment(ctx, a);
    if (held) await deleteAssignment(ctx, a);
    return {
      result: undefined,
      details: {
        grantId: grantId(spec),
        kind: spec.kind,
        grantTarget: spec.target,
        principalId: a.principalId,
        permissionSetArn: a.permissionSetArn,
        reason,
        ...(held ? {} : { note: 'the assignment was already gone' }),
        ...extra,
      },
    };
  });
}

export interface IdentityCenterUser {
  userId: string;
  userName: string;
  /** What matched: the email on `emails.value`, or the email as the UserName. */
  matchedBy: 'email' | 'userName';
}

/**
 * The Identity Center user for a Slack profile's email: `emails.value` first, then a UserName equal to the
 * whole address (what SCIM from Okta, Entra ID or Google sets). Never the email's local part or the Slack
 * handle: a guest's jane@partner.example, or a handle anyone can edit, must not become our jane.
 */
export async function findIdentityCenterUser(
  ctx: CoreContext,
  email: string,
): Promise<IdentityCenterUser | undefined> {
  const ic = identityCenter(ctx);
  let matchedBy: IdentityCenterUser['matchedBy'] = 'email';
  let userId = await ic.userId({ email });
  if (!userId) {
    matchedBy = 'userName';
    userId = await ic.userId({ userName: email });
  }
  if (!userId) return undefined;
  const { identityStoreId } = await ic.instance();
  const out = await ic
    .identityStore()
    .send(new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: userId }));
  return { userId, userName: out.UserName ?? email, matchedBy };
}
