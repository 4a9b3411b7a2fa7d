import type { KnownBlock } from '@slack/types';
import {
  DAY_MS,
  type Grant,
  type GrantKind,
  type GrantMessage,
  grantId,
  validateGrantRequest,
} from '../core/index.js';
import type { Deps } from '../deps.js';
import { ConflictError, errorMessage, LimitError, UnauthorizedError, ValidationError } from '../errors.js';
import { type PostedMessage, postBestEffort } from '../slack/reply.js';
import {
  breakGlassBroadcastBlocks,
  grantAppliedBlocks,
  grantNoticeBlocks,
  grantRevokedText,
} from '../views/grant-messages.js';
import { accessLabel } from '../views/grant-modal.js';

/**
 * The life of a time-bound grant, between the store (when it ends), core/ (IAM) and Slack (who is told).
 * Used by the approval executor, the break-glass command, the "I'm done" / admin-revoke buttons and the
 * revoke and notice jobs. Every revoke goes through `claim*` first, so two replicas never revoke twice.
 */
export type GrantDeps = Pick<Deps, 'config' | 'core' | 'clock' | 'logger' | 'client' | 'store' | 'roles'>;

export interface GrantAsk {
  requester: string;
  ownerSlackId?: string;
  account: string;
  username: string;
  template: string;
  kind: GrantKind;
  target: string;
  durationMinutes: number;
  reason: string;
  approvers: string[];
  breakGlass: boolean;
  /** kind 'permission-set': the Identity Store user id; the set's ARN is read from the config. */
  principalId?: string;
}

const RETRY_MS = 60_000;
const REVOKE_BATCH = 50;

/** Telling is best effort: a grant stands whether or not its message went out. */
function post(deps: GrantDeps, channel: string | undefined, text: string, blocks?: KnownBlock[]) {
  return postBestEffort(deps.client, deps.logger, channel, { text, ...(blocks ? { blocks } : {}) });
}

/**
 * Remembers the messages that carry a grant's buttons: a click is trusted to update only one of these,
 * never the channel and ts its payload names. Best effort: unrecorded, a click still revokes and answers
 * privately, it just leaves the message as it was.
 */
async function remember(deps: GrantDeps, id: string, posted: (PostedMessage | undefined)[]): Promise<void> {
  const messages = posted.filter((m): m is PostedMessage => m !== undefined);
  if (messages.length === 0) return;
  await deps.store.grants.recordMessages(id, messages).catch((err: unknown) => {
    deps.logger.warn({ err: errorMessage(err), grant: id }, 'could not record the grant message');
  });
}

/** The recorded message a click came from, or undefined when the payload names any other place. */
export function recordedMessage(
  grant: Grant,
  channel: string | undefined,
  ts: string | undefined,
): GrantMessage | undefined {
  if (!channel || !ts) return undefined;
  return grant.messages?.find((m) => m.channel === channel && m.ts === ts);
}

/** Applies the access in IAM first, then records the expiry; a store failure after IAM is undone in IAM. */
export async function grantAccess(
  deps: GrantDeps,
  ask: GrantAsk,
): Promise<{ grant: Grant; extended: boolean }> {
  validateGrantRequest(deps.config, {
    template: ask.template,
    kind: ask.kind,
    target: ask.target,
    durationMinutes: ask.durationMinutes,
    breakGlass: ask.breakGlass,
    account: ask.account,
    managedAccounts: deps.core.accounts.list().map((a) => a.id),
  });
  if (ask.kind === 'permission-set') return grantPermissionSet(deps, ask);
  const spec = { account: ask.account, username: ask.username, kind: ask.kind, target: ask.target };
  const grant = newGrant(deps, ask);
  const existing = await deps.store.grants.get(grant.id);
  if (existing?.status === 'revoking')
    throw new ConflictError('that grant is being revoked right now; request it again in a moment');
  const who = { actor: ask.requester, requestId: grant.id };
  const { extended } = await deps.core.applyGrant(grant, who);
  let stored: Grant;
  try {
    stored = await deps.store.grants.upsert(grant);
  } catch (err) {
    // Without a recorded expiry nothing would ever revoke it: take the access back rather than leave it open.
    if (!extended)
      await deps.core.revokeGrant(spec, who, 'could not record the expiry').catch(() => undefined);
    throw err;
  }
  if (stored.expiresAt !== grant.expiresAt) {
    // The store kept a later expiry (an overlapping grant): make the IAM tag agree with it.
    await deps.core.applyGrant(stored, who);
  }
  return announceGrant(deps, stored, extended);
}

/** The holder's DM that the access is on, remembered with the grant so its buttons can update it. */
async function announceGrant(deps: GrantDeps, stored: Grant, extended: boolean) {
  const dm = await post(
    deps,
    stored.ownerSlackId,
    `Access granted until ${stored.expiresAt}`,
    grantAppliedBlocks(stored, extended),
  );
  await remember(deps, stored.id, [dm]);
  return { grant: stored, extended };
}

function newGrant(deps: GrantDeps, ask: GrantAsk, extra: Partial<Grant> = {}): Grant {
  const now = deps.clock.now();
  const spec = { account: ask.account, username: ask.username, kind: ask.kind, target: ask.target, ...extra };
  return {
    ...spec,
    id: grantId(spec),
    requester: ask.requester,
    ...(ask.ownerSlackId ? { ownerSlackId: ask.ownerSlackId } : {}),
    reason: ask.reason,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ask.durationMinutes * 60_000).toISOString(),
    breakGlass: ask.breakGlass,
    approvers: ask.approvers,
    status: 'active',
  };
}

/**
 * A permission set for a while. The record goes into the store BEFORE CreateAccountAssignment (the Identity
 * Center reconcile job removes any assignment on an elevation_only set that no active or revoking record
 * explains, so a fresh assignment must never exist without one), and is marked revoked if AWS refuses. An
 * assignment the user already holds with no live grant behind it is standing access: refused, so that no
 * revoke ever takes it away.
 */
async function grantPermissionSet(
  deps: GrantDeps,
  ask: GrantAsk,
): Promise<{ grant: Grant; extended: boolean }> {
  const ps = deps.config.permission_sets[ask.target];
  if (!ps || !ask.principalId)
    throw new ValidationError(
      'target',
      `permission set ${ask.target} or its Identity Center user is unknown`,
    );
  const grant = newGrant(deps, ask, { principalId: ask.principalId, permissionSetArn: ps.arn });
  const who = { actor: ask.requester, requestId: grant.id };
  const existing = await deps.store.grants.get(grant.id);
  if (existing?.status === 'revoking')
    throw new ConflictError('that grant is being revoked right now; request it again in a moment');
  const live = existing?.status === 'active';
  if (!live && (await deps.core.holdsAssignment(grant)))
    throw new ConflictError(
      `Identity Center user ${ask.username} already holds permission set ${ask.target} in account ${ask.account} permanently (a direct assignment no grant made); nothing to grant (a time-bound grant would remove it on expiry)`,
    );
  let stored: Grant;
  let extended: boolean;
  if (live) {
    // A live record already explains the assignment: make sure it is there, then extend the record.
    ({ extended } = await deps.core.applyGrant(grant, who));
    stored = await deps.store.grants.upsert(grant);
    extended = true;
  } else {
    stored = await deps.store.grants.upsert(grant);
    try {
      ({ extended } = await deps.core.applyGrant(stored, who));
    } catch (err) {
      await dropFailed(deps, stored);
      throw err;
    }
  }
  return announceGrant(deps, stored, extended);
}

/**
 * The record of an assignment AWS did not make: claimed (so no revoke job or click has it, and it leaves the
 * due index) and marked revoked. Claimed by someone else already: theirs to finish. A store failure here is
 * logged; the record then ends at its expiry like any grant, its revoke finding nothing to delete.
 */
async function dropFailed(deps: GrantDeps, g: Grant): Promise<void> {
  try {
    const claimed = await deps.store.grants.claimNow(g.id);
    if (claimed) await deps.store.grants.complete(claimed, 'system:assignment-failed', deps.clock.now());
  } catch (err) {
    deps.logger.error(
      { err: errorMessage(err), grant: g.id },
      'could not mark the failed permission-set grant; the revoke job will end it at expiry',
    );
  }
}

/** Break-glass: self-approved, for configured templates only, rate limited, broadcast to approvers and admins. */
export async function breakGlass(
  deps: GrantDeps,
  ask: Omit<GrantAsk, 'breakGlass' | 'approvers'>,
): Promise<Grant> {
  if (!ask.reason || ask.reason.trim().length < 10) {
    throw new ValidationError(
      'reason',
      'break-glass needs a reason of at least 10 characters',
      'say what is broken and why you need this now',
    );
  }
  validateGrantRequest(deps.config, {
    ...ask,
    breakGlass: true,
    managedAccounts: deps.core.accounts.list().map((a) => a.id),
  });
  const day = deps.clock.now().toISOString().slice(0, 10);
  const limit = deps.config.break_glass.per_user_per_day;
  if (!(await deps.store.grants.takeAllowance(`break-glass:${ask.requester}:${day}`, limit, DAY_MS / 1000))) {
    throw new LimitError(
      `break-glass is limited to ${limit} per person per day; ask an approver with /aws-user request`,
    );
  }
  const { grant } = await grantAccess(deps, { ...ask, breakGlass: true, approvers: [ask.requester] });
  await deps.core.audit({
    actor: ask.requester,
    action: 'grant.break-glass.review-required',
    account: grant.account,
    target: grant.username,
    outcome: 'success',
    requestId: grant.id,
    details: {
      grantId: grant.id,
      grantTarget: grant.target,
      expiresAt: grant.expiresAt,
      reason: ask.reason,
      review: 'pending',
    },
  });
  const blocks = breakGlassBroadcastBlocks(grant, ask.requester);
  const text = `Break-glass: <@${ask.requester}> took ${accessLabel(grant.kind, grant.target)} on ${grant.username} in ${grant.account}`;
  const targets = [deps.config.slack.approvals_channel, ...(await deps.roles.adminIds())];
  await remember(deps, grant.id, await Promise.all(targets.map((t) => post(deps, t, text, blocks))));
  return grant;
}

/** Revokes a grant this caller has claimed; on failure it goes back to the store to be retried. */
export async function revokeClaimed(
  deps: GrantDeps,
  grant: Grant,
  by: string,
  reason: string,
  details?: Record<string, unknown>,
): Promise<boolean> {
  const who = { actor: by, requestId: grant.id };
  try {
    await deps.core.revokeGrant(grant, who, reason, details);
  } catch (err) {
    deps.logger.error({ err: errorMessage(err), grant: grant.id }, 'grant revoke failed; will retry');
    await deps.store.grants.release(grant, new Date(deps.clock.now().getTime() + RETRY_MS));
    return false;
  }
  await deps.store.grants.complete(grant, by, deps.clock.now());
  await post(deps, grant.ownerSlackId, grantRevokedText(grant, reason));
  return true;
}

/** "I'm done" (owner or requester) or "Revoke now" (admin): immediate, exactly once. */
export async function revokeNow(
  deps: GrantDeps,
  grantIdToRevoke: string,
  clicker: string,
  isAdmin: boolean,
): Promise<{ revoked: boolean; grant?: Grant; message: string }> {
  const current = await deps.store.grants.get(grantIdToRevoke);
  if (!current) return { revoked: false, message: 'That grant no longer exists.' };
  const mine = clicker === current.ownerSlackId || clicker === current.requester;
  if (!mine && !isAdmin) throw new UnauthorizedError('only the grant holder or an admin can revoke it');
  if (current.status !== 'active') {
    return {
      revoked: false,
      grant: current,
      message: `Already ${current.status}${current.revokedBy ? ` by ${current.revokedBy}` : ''}.`,
    };
  }
  const claimed = await deps.store.grants.claimNow(grantIdToRevoke);
  if (!claimed) return { revoked: false, grant: current, message: 'Someone else is revoking it right now.' };
  const ok = await revokeClaimed(
    deps,
    claimed,
    clicker,
    mine ? 'done early by the holder' : 'revoked by an admin',
  );
  return { revoked: ok, grant: claimed, message: ok ? 'Revoked.' : 'Revoke failed; it will be retried.' };
}

/** The revoke job: every due grant, claimed atomically, revoked once. */
export async function revokeDue(deps: GrantDeps): Promise<{ revoked: number; failed: number }> {
  let revoked = 0;
  let failed = 0;
  for (;;) {
    const due = await deps.store.grants.claimDue(deps.clock.now(), REVOKE_BATCH);
    if (due.length === 0) break;
    const results = await Promise.all(
      due.map((g) => revokeClaimed(deps, g, 'system:grant-expiry', 'expired')),
    );
    revoked += results.filter(Boolean).length;
    failed += results.filter((r) => !r).length;
    if (due.length < REVOKE_BATCH || failed > 0) break;
  }
  return { revoked, failed };
}

/** The notice job: a DM 15 minutes before expiry with Extend and I'm done. */
export async function sendExpiryNotices(deps: GrantDeps): Promise<number> {
  const due = await deps.store.grants.claimNotices(deps.clock.now(), 200);
  await Promise.all(
    due
      .filter((g) => g.status === 'active')
      .map(async (g) => {
        const notice = await post(
          deps,
          g.ownerSlackId ?? g.requester,
          `Your access expires at ${g.expiresAt}`,
          grantNoticeBlocks(g),
        );
        await remember(deps, g.id, [notice]);
      }),
  );
  return due.length;
}
