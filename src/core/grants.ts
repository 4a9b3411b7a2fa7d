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
import type { FileConfig, Template } from '../config.js';
import { ConflictError, errorMessage, NotFoundError, StepFailedError, ValidationError } from '../errors.js';
import { audited } from './audit.js';
import { ignoreMissing } from './aws/retry.js';
import type { Actor, CoreContext } from './context.js';
import { GRANT_TAG_RULE, grantTagProblem, grantTagValue, parseGrantTag, TAG } from './tags.js';

/**
 * Time-bound access: a group membership or managed policy added to an IAM user until an expiry. The expiry
 * lives in two places on purpose: the grant store (which the revoke job reads) and a tag on the user
 * (`aws-user:grant:<id>` = `<expiresAt> group:<Name>` or `<expiresAt> policy:<arn>`), so anyone looking at
 * the user in IAM sees what is temporary and what the store lost is still revoked (core/reconcile.ts). A grant never removes access the user had before it: granting what
 * the user already holds permanently is refused, so a revoke can never take away standing access.
 */
export type GrantKind = 'group' | 'policy';

export interface GrantSpec {
  account: string;
  username: string;
  kind: GrantKind;
  /** Group name, or managed policy ARN. */
  target: string;
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

/** Same account, user, kind and target → same id: overlapping grants merge instead of stacking. */
export function grantId(spec: GrantSpec): string {
  const h = createHash('sha256').update(`${spec.account}|${spec.username}|${spec.kind}|${spec.target}`);
  return h.digest('hex').slice(0, 16);
}

export interface GrantRequestInput {
  template: string;
  kind: GrantKind;
  target: string;
  durationMinutes: number;
  breakGlass?: boolean;
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
  grant: Pick<Grant, 'account' | 'username' | 'kind' | 'target' | 'expiresAt' | 'breakGlass'>,
  who: Actor,
): Promise<{ extended: boolean }> {
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
          Tags: [{ Key: tagKey, Value: grantTagValue(expiresAt, grant.kind, grant.target) }],
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
