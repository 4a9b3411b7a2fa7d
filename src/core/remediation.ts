import { DeleteLoginProfileCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { NotFoundError } from '../errors.js';
import { audited } from './audit.js';
import { ignoreMissing } from './aws/retry.js';
import type { Actor, CoreContext } from './context.js';
import { type PlannedCall, validateUsername } from './templates.js';
import { describeUser } from './users/describe.js';

/**
 * The two narrow fixes an access review asks for, short of offboarding: turn off a console that nobody
 * uses, or deactivate keys that nobody uses. Both are idempotent and reversible (a key is deactivated, not
 * deleted; a console can be re-enabled with a new password), and both are audited.
 */
export interface RemediationResult {
  changed: boolean;
  plan: PlannedCall[];
}

export async function disableConsole(
  ctx: CoreContext,
  input: { account: string; username: string },
  who: Actor,
): Promise<RemediationResult> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const scope = { action: 'user.disable-console', account, target: input.username };
  return audited(ctx, who, scope, async () => {
    const snap = await describeUser(ctx, account, input.username, who);
    const plan: PlannedCall[] = snap.hasLoginProfile
      ? [{ action: 'DeleteLoginProfile', params: { UserName: input.username } }]
      : [];
    if (plan.length > 0) {
      await ignoreMissing(() =>
        ctx.clients.iam(account, who.actor).send(new DeleteLoginProfileCommand({ UserName: input.username })),
      );
    }
    return { result: { changed: plan.length > 0, plan }, outcome: plan.length > 0 ? 'success' : 'noop' };
  });
}

/**
 * Deactivates the user's active keys; with `createdAt` only the key created then (the credential report
 * names keys by slot and creation time, not id), matched to the second.
 */
export async function deactivateKeys(
  ctx: CoreContext,
  input: { account: string; username: string; createdAt?: string },
  who: Actor,
): Promise<RemediationResult> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const scope = { action: 'user.deactivate-keys', account, target: input.username };
  return audited(ctx, who, scope, async () => {
    const snap = await describeUser(ctx, account, input.username, who);
    const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);
    const keys = snap.accessKeys.filter(
      (k) => !input.createdAt || second(k.createdAt) === second(input.createdAt),
    );
    if (input.createdAt && keys.length === 0) {
      throw new NotFoundError(`${input.username} has no access key created at ${input.createdAt} any more`);
    }
    const plan: PlannedCall[] = keys
      .filter((k) => k.status === 'Active')
      .map((k) => ({
        action: 'UpdateAccessKey',
        params: { UserName: input.username, AccessKeyId: k.id, Status: 'Inactive' },
      }));
    const iam = ctx.clients.iam(account, who.actor);
    for (const call of plan) {
      await iam.send(
        new UpdateAccessKeyCommand({
          UserName: input.username,
          AccessKeyId: String(call.params.AccessKeyId),
          Status: 'Inactive',
        }),
      );
    }
    return {
      result: { changed: plan.length > 0, plan },
      outcome: plan.length > 0 ? 'success' : 'noop',
      details: { keys: plan.map((c) => c.params.AccessKeyId) },
    };
  });
}
