import { randomInt } from 'node:crypto';
import {
  GetAccountPasswordPolicyCommand,
  NoSuchEntityException,
  type PasswordPolicy,
  UpdateAccountPasswordPolicyCommand,
  type UpdateAccountPasswordPolicyCommandInput,
  UpdateLoginProfileCommand,
} from '@aws-sdk/client-iam';
import type { FileConfig } from '../config.js';
import { audited } from './audit.js';
import { awsErrorName, isUnmodifiable, withRetry } from './aws/retry.js';
import type { Actor, CoreContext } from './context.js';
import { type PlannedCall, validateUsername } from './templates.js';
import { onUser } from './users/describe.js';

type Policy = FileConfig['password_policy'];

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
/** IAM's accepted symbols: ! @ # $ % ^ & * ( ) _ + - = [ ] { } | ' */
const SYMBOLS = '!@#$%^&*()_+-=[]{}|';

/**
 * A crypto-random password that satisfies `policy`: at least 20 characters (or the policy minimum, if longer)
 * and one of each required class. Look-alikes (0/O, 1/l/I) are left out: the owner types it once.
 */
export function generatePassword(policy: Policy): string {
  const length = Math.min(128, Math.max(20, policy.minimum_length));
  const required: string[] = [];
  if (policy.require_uppercase) required.push(UPPER);
  if (policy.require_lowercase) required.push(LOWER);
  if (policy.require_numbers) required.push(DIGITS);
  if (policy.require_symbols) required.push(SYMBOLS);
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const chars = required.map((set) => set[randomInt(set.length)] as string);
  while (chars.length < length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

/** Does `password` satisfy `policy`? (moto does not enforce the policy, so tests check it here.) */
export function satisfiesPolicy(password: string, policy: Policy): boolean {
  if (password.length < policy.minimum_length) return false;
  if (policy.require_uppercase && !/[A-Z]/.test(password)) return false;
  if (policy.require_lowercase && !/[a-z]/.test(password)) return false;
  if (policy.require_numbers && !/[0-9]/.test(password)) return false;
  if (policy.require_symbols && !/[^A-Za-z0-9]/.test(password)) return false;
  return true;
}

export function policyInput(policy: Policy): UpdateAccountPasswordPolicyCommandInput {
  return {
    MinimumPasswordLength: policy.minimum_length,
    RequireUppercaseCharacters: policy.require_uppercase,
    RequireLowercaseCharacters: policy.require_lowercase,
    RequireNumbers: policy.require_numbers,
    RequireSymbols: policy.require_symbols,
    AllowUsersToChangePassword: policy.allow_users_to_change_password,
    HardExpiry: policy.hard_expiry,
    // IAM takes 1-1095 / 1-24; 0 in the config means "off", which IAM expresses by omitting the field.
    ...(policy.max_age_days > 0 ? { MaxPasswordAge: policy.max_age_days } : {}),
    ...(policy.password_reuse_prevention > 0
      ? { PasswordReusePrevention: policy.password_reuse_prevention }
      : {}),
  };
}

function sameAsCurrent(
  want: UpdateAccountPasswordPolicyCommandInput,
  have: PasswordPolicy | undefined,
): boolean {
  if (!have) return false;
  return (
    have.MinimumPasswordLength === want.MinimumPasswordLength &&
    Boolean(have.RequireUppercaseCharacters) === want.RequireUppercaseCharacters &&
    Boolean(have.RequireLowercaseCharacters) === want.RequireLowercaseCharacters &&
    Boolean(have.RequireNumbers) === want.RequireNumbers &&
    Boolean(have.RequireSymbols) === want.RequireSymbols &&
    Boolean(have.AllowUsersToChangePassword) === want.AllowUsersToChangePassword &&
    Boolean(have.HardExpiry) === want.HardExpiry &&
    (have.MaxPasswordAge ?? undefined) === want.MaxPasswordAge &&
    (have.PasswordReusePrevention ?? undefined) === want.PasswordReusePrevention
  );
}

/** Applies the config's account password policy; a no-op (empty plan) when IAM already has it. */
export async function applyPasswordPolicy(
  ctx: CoreContext,
  input: { account: string },
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<{ plan: PlannedCall[]; changed: boolean }> {
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const want = policyInput(ctx.config.password_policy);
  let current: PasswordPolicy | undefined;
  try {
    current = (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
  } catch (err) {
    if (!(err instanceof NoSuchEntityException)) throw err;
  }
  const scope = { action: 'password-policy.apply', account, target: account };
  return audited<{ plan: PlannedCall[]; changed: boolean }>(ctx, who, scope, async (trail) => {
    if (sameAsCurrent(want, current)) return { result: { plan: [], changed: false }, outcome: 'noop' };
    const plan: PlannedCall[] = [{ action: 'UpdateAccountPasswordPolicy', params: { ...want } }];
    const details = { policy: want };
    if (opts.dryRun) return { result: { plan, changed: true }, outcome: 'dry-run', details };
    // The SDK's message may quote the request; the error's name is enough for the trail.
    await iam.send(new UpdateAccountPasswordPolicyCommand(want)).catch(async (err) => {
      await trail.fail(err, { error: awsErrorName(err) });
      throw err;
    });
    return { result: { plan, changed: true }, details };
  });
}

/**
 * A new console password for a user that has one, with PasswordResetRequired. Used when a password the bot
 * generated may be held by nobody or by the wrong party (a DM that failed, a process that died before
 * sending it): the old one stops working. Returned once, to the caller only; never logged or audited.
 */
export async function resetLoginPassword(
  ctx: CoreContext,
  input: { account: string; username: string },
  who: Actor,
): Promise<{ password: string }> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const scope = { action: 'user.reset-password', account, target: input.username };
  return audited(ctx, who, scope, async () => {
    const password = generatePassword(ctx.config.password_policy);
    await onUser(account, input.username, () =>
      withRetry(
        ctx,
        () =>
          iam.send(
            new UpdateLoginProfileCommand({
              UserName: input.username,
              Password: password,
              PasswordResetRequired: true,
            }),
          ),
        isUnmodifiable,
      ),
    );
    return { result: { password }, details: { passwordResetRequired: true } };
  });
}
