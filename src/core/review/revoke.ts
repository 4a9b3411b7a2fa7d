import {
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { audited } from '../audit.js';
import { ignoreMissing } from '../aws/retry.js';
import type { Actor, CoreContext } from '../context.js';
import { deleteAssignment, hasUserAssignment } from '../identity-center/assignments.js';
import { IC_USERNAME_RE } from '../identity-center/people.js';
import { deactivateKeys, disableConsole } from '../remediation.js';
import { type PlannedCall, validateGroupName, validateUsername } from '../templates.js';
import { describeUser, type UserSnapshot } from '../users/describe.js';
import type { ReviewItem } from './types.js';

/**
 * An access review's revoke: takes away the one entitlement an item certifies, and nothing else. Audited as
 * `review.revoke` and idempotent: access already gone (or its user) is a `noop` with `changed: false`, so a
 * retried or recovered revocation never fails for having worked the first time. Every input is checked
 * before the first AWS call: a revocation built from a tampered or stale record must not touch anything.
 */
export type RevokeInput = Pick<ReviewItem, 'account' | 'principal' | 'entitlement'>;

export interface RevokeResult {
  changed: boolean;
  plan: PlannedCall[];
  /** One secret-free line: what was removed, or why there was nothing to remove. */
  detail: string;
}

const MANAGED_POLICY_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,2000}$/;
const INLINE_POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
// An sso ARN, looser than AWS's documented permissionSet/ shape: moto names permission sets instance/…/ps-….
const PERMISSION_SET_ARN = /^arn:aws[\w-]*:sso:::[A-Za-z]+\/[\w./-]{1,1200}$/;
const IDENTITY_STORE_ID = /^[\w-]{1,47}$/;
const ACCOUNT_ID = /^\d{12}$/;

function invalid(field: string, problem: string): never {
  throw new ValidationError(
    field,
    problem,
    'the review item is not one this bot can revoke; nothing was changed',
  );
}

/** The entitlement's words: "group Developers", "console sign-in", "access key 2". */
export function entitlementWords(e: RevokeInput['entitlement']): string {
  switch (e.kind) {
    case 'group':
      return `group ${e.name}`;
    case 'managed-policy':
      return `managed policy ${e.name}`;
    case 'inline-policy':
      return `inline policy ${e.name}`;
    case 'console':
      return 'console sign-in';
    case 'access-key':
      return e.name;
    case 'permission-set':
      return `permission set ${e.name}`;
  }
}

/** Checks everything before any call; returns the account id the revocation acts in. */
function validate(ctx: CoreContext, input: RevokeInput): string {
  const { principal: p, entitlement: e } = input;
  if (p?.kind === 'identity-center-user') {
    if (e?.kind !== 'permission-set')
      invalid('entitlement', `an Identity Center user holds permission sets, not a ${String(e?.kind)}`);
    if (typeof input.account !== 'string' || !ACCOUNT_ID.test(input.account))
      invalid('account', `"${String(input.account).slice(0, 40)}" is not an account id`);
    if (typeof p.name !== 'string' || !IC_USERNAME_RE.test(p.name))
      invalid('principal', 'no valid Identity Store user name');
    if (!p.id || !IDENTITY_STORE_ID.test(p.id)) invalid('principal', 'no valid Identity Store user id');
    if (!ctx.config.identity_center)
      invalid('principal', 'IAM Identity Center is not configured (identity_center in the config file)');
    if (!e.permissionSetArn || !PERMISSION_SET_ARN.test(e.permissionSetArn))
      invalid('entitlement', 'no valid permission set ARN');
    return input.account;
  }
  if (p?.kind !== 'iam-user') invalid('principal', `unknown principal kind ${String(p?.kind)}`);
  validateUsername(p.name, 'principal');
  switch (e?.kind) {
    case 'group':
      validateGroupName(e.name, 'entitlement');
      break;
    case 'managed-policy':
      if (typeof e.name !== 'string' || !MANAGED_POLICY_ARN.test(e.name))
        invalid('entitlement', `"${String(e.name).slice(0, 80)}" is not a managed policy ARN`);
      break;
    case 'inline-policy':
      if (typeof e.name !== 'string' || !INLINE_POLICY_NAME.test(e.name))
        invalid('entitlement', `"${String(e.name).slice(0, 80)}" is not an inline policy name`);
      break;
    case 'console':
      break;
    case 'access-key':
      // Without its creation time the key cannot be told from the user's other key: never guess.
      if (!e.keyCreatedAt || Number.isNaN(Date.parse(e.keyCreatedAt)))
        invalid('entitlement', `${e.name} has no creation time to find it by`);
      break;
    default:
      invalid('entitlement', `an IAM user cannot hold a ${String(e?.kind)}`);
  }
  return ctx.clients.resolve(input.account).id;
}

export async function revokeEntitlement(
  ctx: CoreContext,
  input: RevokeInput,
  who: Actor,
): Promise<RevokeResult> {
  const account = validate(ctx, input);
  const scope = { action: 'review.revoke', account, target: input.principal.name };
  return audited(ctx, who, scope, async () => {
    const out =
      input.principal.kind === 'identity-center-user'
        ? await revokeAssignment(ctx, account, input)
        : await revokeIam(ctx, account, input, who);
    return {
      result: out,
      outcome: out.changed ? 'success' : 'noop',
      details: {
        kind: input.entitlement.kind,
        entitlement: input.entitlement.name,
        plan: out.plan.map((c) => c.action),
        ...(out.changed ? {} : { note: out.detail }),
      },
    };
  });
}

/** DeleteAccountAssignment of the USER assignment, waited on until AWS reports it gone. */
async function revokeAssignment(
  ctx: CoreContext,
  account: string,
  input: RevokeInput,
): Promise<RevokeResult> {
  const what = entitlementWords(input.entitlement);
  const a = {
    account,
    permissionSetArn: input.entitlement.permissionSetArn ?? '',
    principalId: input.principal.id ?? '',
  };
  if (!(await hasUserAssignment(ctx, a)))
    return {
      changed: false,
      plan: [],
      detail: `${input.principal.name} no longer held ${what} in ${account}`,
    };
  await deleteAssignment(ctx, a);
  return {
    changed: true,
    plan: [{ action: 'DeleteAccountAssignment', params: { ...a, principalType: 'USER' } }],
    detail: `removed ${what} from ${input.principal.name} in ${account}`,
  };
}

async function revokeIam(
  ctx: CoreContext,
  account: string,
  input: RevokeInput,
  who: Actor,
): Promise<RevokeResult> {
  const UserName = input.principal.name;
  const e = input.entitlement;
  const what = entitlementWords(e);
  const gone = (why: string): RevokeResult => ({ changed: false, plan: [], detail: why });
  let snap: UserSnapshot;
  try {
    snap = await describeUser(ctx, account, UserName, who);
  } catch (err) {
    if (err instanceof NotFoundError) return gone(`${UserName} no longer exists in ${account}`);
    throw err;
  }
  const iam = ctx.clients.iam(account, who.actor);
  const noLonger = gone(`${UserName} no longer had ${what} in ${account}`);
  const done = (plan: PlannedCall[], verb: string): RevokeResult =>
    plan.length > 0 ? { changed: true, plan, detail: `${verb} in ${account}` } : noLonger;
  switch (e.kind) {
    case 'group': {
      if (!snap.groups.includes(e.name)) return noLonger;
      const changed = await ignoreMissing(() =>
        iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName: e.name })),
      );
      if (!changed) return noLonger;
      return done(
        [{ action: 'RemoveUserFromGroup', params: { UserName, GroupName: e.name } }],
        `removed ${UserName} from group ${e.name}`,
      );
    }
    case 'managed-policy': {
      if (!snap.managedPolicies.includes(e.name)) return noLonger;
      const changed = await ignoreMissing(() =>
        iam.send(new DetachUserPolicyCommand({ UserName, PolicyArn: e.name })),
      );
      if (!changed) return noLonger;
      return done(
        [{ action: 'DetachUserPolicy', params: { UserName, PolicyArn: e.name } }],
        `detached managed policy ${e.name} from ${UserName}`,
      );
    }
    case 'inline-policy': {
      if (!Object.hasOwn(snap.inlinePolicies, e.name)) return noLonger;
      const changed = await ignoreMissing(() =>
        iam.send(new DeleteUserPolicyCommand({ UserName, PolicyName: e.name })),
      );
      if (!changed) return noLonger;
      return done(
        [{ action: 'DeleteUserPolicy', params: { UserName, PolicyName: e.name } }],
        `deleted inline policy ${e.name} of ${UserName}`,
      );
    }
    case 'console': {
      // Checked here first so that nothing to do never reaches disableConsole's own audit event.
      if (!snap.hasLoginProfile) return noLonger;
      const out = await disableConsole(ctx, { account, username: UserName }, who);
      return done(out.plan, `disabled console sign-in of ${UserName}`);
    }
    case 'access-key': {
      const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);
      const createdAt = e.keyCreatedAt ?? '';
      const matches = snap.accessKeys.filter((k) => second(k.createdAt) === second(createdAt));
      // Keys made within one second cannot be told apart by the credential report: never take both.
      if (matches.length > 1)
        throw new ConflictError(
          `${UserName} has ${matches.length} access keys created at ${createdAt}; deactivate the right one by hand`,
        );
      const key = matches[0];
      if (!key) return gone(`${UserName} no longer has ${e.name} (created ${createdAt}) in ${account}`);
      if (key.status !== 'Active') return gone(`${e.name} of ${UserName} was already inactive in ${account}`);
      const out = await deactivateKeys(ctx, { account, username: UserName, createdAt }, who);
      return done(out.plan, `deactivated ${e.name} of ${UserName} (${key.id})`);
    }
    default:
      // validate() lets no other kind through.
      throw new ValidationError('entitlement', `an IAM user cannot hold a ${e.kind}`);
  }
}
