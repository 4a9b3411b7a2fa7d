import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  LimitExceededException,
  ListAccessKeysCommand,
  NoSuchEntityException,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AwsUserError, errorMessage, LimitError, ValidationError } from '../errors.js';
import { audited } from './audit.js';
import { isNoSuchEntity, isUnmodifiable, withRetry } from './aws/retry.js';
import { DAY_MS } from './clock.js';
import type { Actor, CoreContext } from './context.js';
import { TAG } from './tags.js';
import { type PlannedCall, validateUsername } from './templates.js';
import { onUser } from './users/describe.js';
import { listUserDetails } from './users/directory.js';

/**
 * Access keys: create (IAM allows 2 per user), rotate with overlap, and the sweep that finishes rotations.
 * The rotation schedule lives on the user itself as a tag, `aws-user:rotate:<oldKeyId>` =
 * `<deactivateAt>/<deleteAt>` (ISO times), so the CLI and every bot replica see the same schedule with no
 * extra store, and it survives restarts.
 */
export interface NewAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

interface KeyMeta {
  id: string;
  status: 'Active' | 'Inactive';
  createdAt: Date | undefined;
}

async function listKeys(ctx: CoreContext, account: string, username: string, who?: Actor) {
  const out = await onUser(account, username, () =>
    ctx.clients.iam(account, who?.actor).send(new ListAccessKeysCommand({ UserName: username })),
  );
  return (out.AccessKeyMetadata ?? []).map(
    (k): KeyMeta => ({
      id: k.AccessKeyId ?? '',
      status: k.Status === 'Inactive' ? 'Inactive' : 'Active',
      createdAt: k.CreateDate,
    }),
  );
}

async function newKey(ctx: CoreContext, account: string, username: string, who: Actor) {
  try {
    const out = await withRetry(
      ctx,
      () => ctx.clients.iam(account, who.actor).send(new CreateAccessKeyCommand({ UserName: username })),
      isNoSuchEntity,
      { attempts: 4, baseMs: 300 },
    );
    const k = out.AccessKey;
    if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
    return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  } catch (err) {
    if (err instanceof LimitExceededException) throw limitError(username, err);
    throw err;
  }
}

function limitError(username: string, cause?: unknown): LimitError {
  return new LimitError(
    `user "${username}" already has 2 access keys (the IAM maximum); rotate-keys or delete an unused key first`,
    { cause },
  );
}

/** Creates a key; the secret is returned once, to the caller only. */
export async function createAccessKey(
  ctx: CoreContext,
  input: { account: string; username: string },
  who: Actor,
): Promise<NewAccessKey> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  return audited(ctx, who, { action: 'key.create', account, target: input.username }, async () => {
    const keys = await listKeys(ctx, account, input.username, who);
    if (keys.length >= 2) throw limitError(input.username);
    const key = await newKey(ctx, account, input.username, who);
    return { result: key, details: { accessKeyId: key.accessKeyId } };
  });
}

export interface RotationSchedule {
  keyId: string;
  deactivateAt: Date;
  deleteAt: Date;
}

export function scheduleTag(s: RotationSchedule): { Key: string; Value: string } {
  return {
    Key: `${TAG.rotatePrefix}${s.keyId}`,
    Value: `${s.deactivateAt.toISOString()}/${s.deleteAt.toISOString()}`,
  };
}

export function parseSchedules(tags: { Key?: string; Value?: string }[] | undefined): RotationSchedule[] {
  const out: RotationSchedule[] = [];
  for (const t of tags ?? []) {
    if (!t.Key?.startsWith(TAG.rotatePrefix) || !t.Value) continue;
    const [a, b] = t.Value.split('/');
    const deactivateAt = new Date(a ?? '');
    const deleteAt = new Date(b ?? '');
    if (Number.isNaN(deactivateAt.getTime()) || Number.isNaN(deleteAt.getTime())) continue;
    out.push({ keyId: t.Key.slice(TAG.rotatePrefix.length), deactivateAt, deleteAt });
  }
  return out;
}

function nonNegativeDays(field: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 0)
    throw new ValidationError(field, 'must be a whole number of days, 0 or more');
  return n;
}

/**
 * Rotation with overlap: a new key now (secret returned once), the old key(s) deactivated after `graceDays`
 * (default keys.grace_days) and deleted `deleteAfterDays` after that (default keys.delete_after_days).
 * With two keys already: an Inactive one is deleted first (it cannot be in use); two Active keys mean a
 * rotation is still in progress or both are in use, so rotation refuses with a LimitError.
 */
export async function rotateAccessKey(
  ctx: CoreContext,
  input: { account: string; username: string; graceDays?: number; deleteAfterDays?: number },
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<{
  newKey?: NewAccessKey;
  oldKeyIds: string[];
  deactivateAt: string;
  deleteAt: string;
  plan: PlannedCall[];
}> {
  validateUsername(input.username);
  const grace = nonNegativeDays('graceDays', input.graceDays, ctx.config.keys.grace_days);
  const second = nonNegativeDays('deleteAfterDays', input.deleteAfterDays, ctx.config.keys.delete_after_days);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const now = ctx.clock.now();
  const deactivateAt = new Date(now.getTime() + grace * DAY_MS);
  const deleteAt = new Date(deactivateAt.getTime() + second * DAY_MS);
  const UserName = input.username;
  return audited(ctx, who, { action: 'key.rotate', account, target: UserName }, async () => {
    const keys = await listKeys(ctx, account, input.username, who);
    const plan: PlannedCall[] = [];
    let remaining = keys;
    if (keys.length >= 2) {
      const inactive = keys.find((k) => k.status === 'Inactive');
      if (!inactive) {
        throw new LimitError(
          `user "${input.username}" has 2 active access keys (a rotation may be in progress); run sweep once the old key is deactivated, or delete the unused key, then rotate again`,
        );
      }
      plan.push({ action: 'DeleteAccessKey', params: { UserName, AccessKeyId: inactive.id } });
      remaining = keys.filter((k) => k !== inactive);
    }
    const old = remaining.filter((k) => k.status === 'Active').map((k) => k.id);
    const stale = remaining.filter((k) => k.status === 'Inactive').map((k) => k.id);
    plan.push({ action: 'CreateAccessKey', params: { UserName } });
    const schedules = [...old, ...stale].map((keyId) => scheduleTag({ keyId, deactivateAt, deleteAt }));
    if (schedules.length > 0) plan.push({ action: 'TagUser', params: { UserName, Tags: schedules } });
    const result = {
      oldKeyIds: [...old, ...stale],
      deactivateAt: deactivateAt.toISOString(),
      deleteAt: deleteAt.toISOString(),
      plan,
    };
    const details = {
      oldKeyIds: result.oldKeyIds,
      deactivateAt: result.deactivateAt,
      deleteAt: result.deleteAt,
    };
    if (opts.dryRun) return { result, outcome: 'dry-run', details };
    const deleted = plan.find((c) => c.action === 'DeleteAccessKey');
    if (deleted)
      await iam.send(
        new DeleteAccessKeyCommand({ UserName, AccessKeyId: String(deleted.params.AccessKeyId) }),
      );
    const key = await newKey(ctx, account, input.username, who);
    if (schedules.length > 0) {
      try {
        await withRetry(
          ctx,
          () => iam.send(new TagUserCommand({ UserName, Tags: schedules })),
          isUnmodifiable,
        );
      } catch (err) {
        // Without the schedule the old key would live forever: undo the new key rather than leave that.
        await iam
          .send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: key.accessKeyId }))
          .catch(() => undefined);
        throw err;
      }
    }
    return {
      result: { ...result, newKey: key },
      details: { ...details, newAccessKeyId: key.accessKeyId },
    };
  });
}

/**
 * Takes back a new key whose secret never reached its owner (the DM failed): the key is deleted, so no
 * secret exists that nobody (or the wrong party) holds, and the rotation schedule that `rotateAccessKey`
 * put on the old keys is removed, so they are not deactivated in favour of a key that is gone.
 */
export async function discardAccessKey(
  ctx: CoreContext,
  input: { account: string; username: string; accessKeyId: string; oldKeyIds: readonly string[] },
  who: Actor,
): Promise<void> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const UserName = input.username;
  const scope = { action: 'key.discard', account, target: UserName };
  await audited(ctx, who, scope, async () => {
    await withRetry(
      ctx,
      () => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: input.accessKeyId })),
      isUnmodifiable,
    ).catch((err: unknown) => {
      if (!(err instanceof NoSuchEntityException)) throw err;
    });
    if (input.oldKeyIds.length > 0) {
      const TagKeys = input.oldKeyIds.map((id) => `${TAG.rotatePrefix}${id}`);
      await withRetry(ctx, () => iam.send(new UntagUserCommand({ UserName, TagKeys })), isUnmodifiable);
    }
    return {
      result: undefined,
      details: { accessKeyId: input.accessKeyId, keptOldKeys: [...input.oldKeyIds] },
    };
  });
}

/** Rotates every user whose active key is older than `olderThanDays` and not already being rotated. */
export async function rotateOldKeys(
  ctx: CoreContext,
  input: { account: string; olderThanDays: number },
  who: Actor,
  opts: { dryRun?: boolean; concurrency?: number } = {},
): Promise<{
  rotated: { username: string; newKey?: NewAccessKey; oldKeyIds: string[] }[];
  failed: { username: string; error: string }[];
}> {
  if (!Number.isInteger(input.olderThanDays) || input.olderThanDays < 1) {
    throw new ValidationError(
      'olderThanDays',
      'must be a whole number of days, 1 or more',
      'e.g. --older-than 90',
    );
  }
  const iam = ctx.clients.iam(input.account, who.actor);
  const cutoff = ctx.clock.now().getTime() - input.olderThanDays * DAY_MS;
  // One listing gives names and rotation tags (GetAccountAuthorizationDetails pages by 1,000).
  const details = await listUserDetails(iam);
  const users = details;
  const scheduled = new Set(details.flatMap((u) => parseSchedules(u.Tags).map((s) => s.keyId)));
  const rotated: { username: string; newKey?: NewAccessKey; oldKeyIds: string[] }[] = [];
  const failed: { username: string; error: string }[] = [];
  const queue = users.map((u) => u.UserName ?? '').filter(Boolean);
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        const keys = await listKeys(ctx, input.account, name, who);
        const old = keys.filter(
          (k) => k.status === 'Active' && !scheduled.has(k.id) && (k.createdAt?.getTime() ?? 0) < cutoff,
        );
        if (old.length === 0) continue;
        const r = await rotateAccessKey(ctx, { account: input.account, username: name }, who, opts);
        rotated.push({ username: name, ...(r.newKey ? { newKey: r.newKey } : {}), oldKeyIds: r.oldKeyIds });
      } catch (err) {
        failed.push({ username: name, error: err instanceof AwsUserError ? err.message : errorMessage(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  rotated.sort((a, b) => a.username.localeCompare(b.username));
  return { rotated, failed };
}

/** Carries out due rotation steps: deactivate after the grace period, delete (and untag) after the second. */
export async function sweepKeyRotations(
  ctx: CoreContext,
  input: { accounts?: string[] },
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<{ deactivated: string[]; deleted: string[]; failed: { keyId: string; error: string }[] }> {
  const deactivated: string[] = [];
  const deleted: string[] = [];
  const failed: { keyId: string; error: string }[] = [];
  const now = ctx.clock.now().getTime();
  for (const { id: acct } of ctx.clients.select(input.accounts)) {
    const iam = ctx.clients.iam(acct, who.actor);
    const account = ctx.clients.resolve(acct).id;
    let users: Awaited<ReturnType<typeof listUserDetails>>;
    try {
      users = await listUserDetails(iam);
    } catch (err) {
      failed.push({ keyId: `${account}:*`, error: errorMessage(err) });
      continue;
    }
    for (const u of users) {
      const UserName = u.UserName ?? '';
      const schedules = parseSchedules(u.Tags);
      if (schedules.length === 0) continue;
      let keys: KeyMeta[];
      try {
        keys = await listKeys(ctx, acct, UserName, who);
      } catch (err) {
        for (const s of schedules) failed.push({ keyId: s.keyId, error: errorMessage(err) });
        continue;
      }
      for (const s of schedules) {
        const key = keys.find((k) => k.id === s.keyId);
        const audit = { actor: who.actor, account, target: UserName, requestId: who.requestId };
        const untag = new UntagUserCommand({ UserName, TagKeys: [`${TAG.rotatePrefix}${s.keyId}`] });
        try {
          if (now >= s.deleteAt.getTime() || !key) {
            if (opts.dryRun) {
              if (key) deleted.push(s.keyId);
              continue;
            }
            if (key) {
              await withRetry(
                ctx,
                () => iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: s.keyId })),
                isUnmodifiable,
              ).catch((err) => {
                if (!(err instanceof NoSuchEntityException)) throw err;
              });
              deleted.push(s.keyId);
              await ctx.auditor.record({
                ...audit,
                action: 'key.delete',
                outcome: 'success',
                details: { accessKeyId: s.keyId, reason: 'rotation' },
              });
            }
            await iam.send(untag);
          } else if (now >= s.deactivateAt.getTime() && key.status === 'Active') {
            if (!opts.dryRun) {
              await withRetry(
                ctx,
                () =>
                  iam.send(
                    new UpdateAccessKeyCommand({ UserName, AccessKeyId: s.keyId, Status: 'Inactive' }),
                  ),
                isUnmodifiable,
              );
              await ctx.auditor.record({
                ...audit,
                action: 'key.deactivate',
                outcome: 'success',
                details: { accessKeyId: s.keyId, reason: 'rotation' },
              });
            }
            deactivated.push(s.keyId);
          }
        } catch (err) {
          failed.push({ keyId: s.keyId, error: errorMessage(err) });
          await ctx.auditor.record({
            ...audit,
            action: 'key.sweep',
            outcome: 'failure',
            error: errorMessage(err),
            details: { accessKeyId: s.keyId },
          });
        }
      }
    }
  }
  return { deactivated, deleted, failed };
}
