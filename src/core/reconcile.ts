import {
  type IAMClient,
  ListUserTagsCommand,
  NoSuchEntityException,
  UntagUserCommand,
  type UserDetail,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { AccountConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { audited } from './audit.js';
import { ignoreMissing } from './aws/retry.js';
import type { Actor, CoreContext } from './context.js';
import { forEachUserPage } from './detect/scan.js';
import { GRANT_TAG_PREFIX, type GrantSpec, grantId, revokeGrant } from './grants.js';
import { PROFILE_TAG, parseGrantTag, parseTemporaryTag, TAG, tagValue } from './tags.js';
import { deleteUser } from './users/delete.js';
import { offboardUser } from './users/offboard.js';

/**
 * IAM as the second source of truth for every expiry. Each expiry the bot sets is also a tag on the user
 * (core/tags.ts): time-bound grants, temporary users and offboarded users' deletion date. This module reads
 * them back for every account with GetAccountAuthorizationDetails(Filter=User), about one call per 1,000
 * users, and ends what is overdue, whether or not the store still knows it. Every act says in its audit
 * event that it came from the IAM tag (`details.source: 'iam-tag'`).
 *
 * Each act re-reads the one user's tags first (ListUserTags, one call per overdue item, never per user),
 * so a read that went stale while the normal jobs worked (a grant revoked or extended meanwhile) acts on
 * nothing.
 */
export const IAM_TAG_SOURCE = 'iam-tag';

export interface TaggedGrant {
  account: string;
  username: string;
  grantId: string;
  expiresAt: string;
  /** The tag's value as read: an act goes ahead only while the tag still says exactly this. */
  tagValue: string;
  /**
   * What was granted: from the tag; for an expiry-only tag (written before the target was recorded), the
   * group or policy the user holds whose grant id is the tag's id; undefined when the user holds none.
   */
  spec?: GrantSpec;
  /** The tag holds only the expiry (the first format). */
  expiryOnly: boolean;
  /** The user's SlackUserId tag: who to tell. */
  ownerSlackId?: string;
}

export interface TaggedTemporaryUser {
  account: string;
  username: string;
  endsAt: string;
  tagValue: string;
  requestId?: string;
  requester?: string;
  ownerSlackId?: string;
}

export interface TaggedDeletion {
  account: string;
  username: string;
  deleteAfter: string;
}

export interface AccountRead {
  account: string;
  users: number;
  /** GetAccountAuthorizationDetails pages read. */
  calls: number;
  error?: string;
}

export interface IamExpiries {
  grants: TaggedGrant[];
  temporaryUsers: TaggedTemporaryUser[];
  deletions: TaggedDeletion[];
  accounts: AccountRead[];
}

function due(at: string, now: number): boolean {
  const t = Date.parse(at);
  return !Number.isNaN(t) && t <= now;
}

/** For an expiry-only tag: the held group or policy whose grant id is `id` (ids hash account|user|kind|target). */
function heldTarget(account: string, u: UserDetail, id: string): GrantSpec | undefined {
  const username = u.UserName ?? '';
  const held: GrantSpec[] = [
    ...(u.GroupList ?? []).map((target) => ({ account, username, kind: 'group' as const, target })),
    ...(u.AttachedManagedPolicies ?? []).map((p) => ({
      account,
      username,
      kind: 'policy' as const,
      target: p.PolicyArn ?? '',
    })),
  ];
  return held.find((s) => s.target && grantId(s) === id);
}

/** The overdue expiries one user's tags carry. Pure. */
export function overdueOf(account: string, u: UserDetail, now: Date): Omit<IamExpiries, 'accounts'> {
  const out: Omit<IamExpiries, 'accounts'> = { grants: [], temporaryUsers: [], deletions: [] };
  const username = u.UserName;
  if (!username) return out;
  const t = now.getTime();
  const owner = tagValue(u, PROFILE_TAG.slackUserId);
  const ownerSlackId = owner ? { ownerSlackId: owner } : {};
  for (const tag of u.Tags ?? []) {
    const key = tag.Key ?? '';
    const value = tag.Value ?? '';
    if (key.startsWith(GRANT_TAG_PREFIX)) {
      const parsed = parseGrantTag(value);
      if (!parsed || !due(parsed.expiresAt, t)) continue;
      const id = key.slice(GRANT_TAG_PREFIX.length);
      let spec: GrantSpec | undefined;
      if (parsed.kind && parsed.target) {
        spec = { account, username, kind: parsed.kind, target: parsed.target };
        // A value that does not hash to its key was not written by applyGrant: trust only what the id proves.
        if (grantId(spec) !== id) spec = heldTarget(account, u, id);
      } else {
        spec = heldTarget(account, u, id);
      }
      out.grants.push({
        account,
        username,
        grantId: id,
        expiresAt: parsed.expiresAt,
        tagValue: value,
        ...(spec ? { spec } : {}),
        expiryOnly: !parsed.kind,
        ...ownerSlackId,
      });
    } else if (key === TAG.temporaryUntil) {
      const parsed = parseTemporaryTag(value);
      if (!parsed || !due(parsed.endsAt, t)) continue;
      out.temporaryUsers.push({ account, username, tagValue: value, ...parsed, ...ownerSlackId });
    }
  }
  const deleteAfter = tagValue(u, TAG.deleteAfter);
  if (deleteAfter && tagValue(u, TAG.offboardedAt) && due(deleteAfter, t))
    out.deletions.push({ account, username, deleteAfter });
  return out;
}

async function readAccount(ctx: CoreContext, a: AccountConfig, who: Actor, now: Date, into: IamExpiries) {
  const read: AccountRead = { account: a.id, users: 0, calls: 0 };
  try {
    await forEachUserPage(
      ctx.clients.iam(a.id, who.actor),
      (page) => {
        read.users += page.length;
        for (const u of page) {
          const o = overdueOf(a.id, u, now);
          into.grants.push(...o.grants);
          into.temporaryUsers.push(...o.temporaryUsers);
          into.deletions.push(...o.deletions);
        }
      },
      read,
    );
  } catch (err) {
    read.error = errorMessage(err);
    ctx.logger.warn({ account: a.id, err: read.error }, 'reconcile: could not read the account');
  }
  into.accounts.push(read);
}

/** Every overdue expiry in the accounts' IAM tags; an account that cannot be read is reported, not thrown. */
export async function findOverdue(
  ctx: CoreContext,
  who: Actor,
  opts: { accounts?: string[] } = {},
): Promise<IamExpiries> {
  const now = ctx.clock.now();
  const out: IamExpiries = { grants: [], temporaryUsers: [], deletions: [], accounts: [] };
  const limit = pLimit(Math.max(1, ctx.config.inactivity.concurrency));
  await Promise.all(
    ctx.clients.select(opts.accounts).map((a) => limit(() => readAccount(ctx, a, who, now, out))),
  );
  return out;
}

/** The user's tag `key` now, or undefined; `gone` when the user itself no longer exists. */
async function currentTag(
  iam: IAMClient,
  username: string,
  key: string,
): Promise<string | undefined | 'gone'> {
  try {
    const r = await iam.send(new ListUserTagsCommand({ UserName: username }));
    return r.Tags?.find((t) => t.Key === key)?.Value;
  } catch (err) {
    if (err instanceof NoSuchEntityException) return 'gone';
    throw err;
  }
}

export type TagAct = 'done' | 'changed';

/**
 * Revokes a grant found by its overdue tag: the access (when known) and the tag. `spec` overrides the
 * tag's (the store's record, for an expiry-only tag). `changed`: the tag no longer says what was read.
 */
export async function revokeTaggedGrant(
  ctx: CoreContext,
  g: TaggedGrant,
  who: Actor,
  opts: { spec?: GrantSpec; reason: string },
): Promise<TagAct> {
  const iam = ctx.clients.iam(g.account, who.actor);
  const key = `${GRANT_TAG_PREFIX}${g.grantId}`;
  if ((await currentTag(iam, g.username, key)) !== g.tagValue) return 'changed';
  const spec = opts.spec ?? g.spec;
  const details = {
    source: IAM_TAG_SOURCE,
    tagExpiresAt: g.expiresAt,
    ...(g.expiryOnly ? { tagFormat: 'expiry-only' } : {}),
  };
  if (spec) {
    await revokeGrant(ctx, spec, who, opts.reason, details);
    return 'done';
  }
  // An expiry-only tag whose group or policy the user no longer holds: nothing to take away but the tag.
  await audited(ctx, who, { action: 'grant.revoke', account: g.account, target: g.username }, async () => {
    await ignoreMissing(() => iam.send(new UntagUserCommand({ UserName: g.username, TagKeys: [key] })));
    return {
      result: undefined,
      outcome: 'noop',
      details: {
        grantId: g.grantId,
        reason: opts.reason,
        ...details,
        note: 'the tag does not say what was granted and the user holds no group or policy with this grant id: only the tag was removed',
      },
    };
  });
  return 'done';
}

/** Offboards a temporary user whose `aws-user:temporary-until` has passed, as the temporary-access job does. */
export async function endTaggedTemporaryUser(
  ctx: CoreContext,
  u: TaggedTemporaryUser,
  who: Actor,
): Promise<TagAct> {
  const iam = ctx.clients.iam(u.account, who.actor);
  if ((await currentTag(iam, u.username, TAG.temporaryUntil)) !== u.tagValue) return 'changed';
  await offboardUser(ctx, { account: u.account, username: u.username }, who, {
    auditDetails: {
      source: IAM_TAG_SOURCE,
      reason: 'temporary user ended',
      endsAt: u.endsAt,
      ...(u.requestId ? { temporaryRequestId: u.requestId } : {}),
    },
  });
  return 'done';
}

/** Deletes an offboarded user whose `aws-user:delete-after` has passed, as the offboard sweep does. */
export async function deleteTaggedUser(ctx: CoreContext, d: TaggedDeletion, who: Actor): Promise<TagAct> {
  const iam = ctx.clients.iam(d.account, who.actor);
  if ((await currentTag(iam, d.username, TAG.deleteAfter)) !== d.deleteAfter) return 'changed';
  await deleteUser(ctx, { account: d.account, username: d.username }, who, {
    auditDetails: {
      source: IAM_TAG_SOURCE,
      reason: 'offboarded user past delete-after',
      deleteAfter: d.deleteAfter,
    },
  });
  return 'done';
}
