import {
  type Actor,
  type Grant,
  IAM_TAG_SOURCE,
  type TagAct,
  type TaggedGrant,
  type TaggedTemporaryUser,
} from '../core/index.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { notify } from '../slack/dm.js';
import { postBestEffort } from '../slack/reply.js';
import { grantRevokedText } from '../views/grant-messages.js';
import { revokeClaimed } from './grants.js';

/**
 * The grant-reconcile job's work: IAM's tags are the second source of truth for every expiry, so what the
 * store lost (a restart of the memory store, Redis flushed or restored from an old snapshot) still ends on
 * time. One read per account (core/reconcile.ts), then for each overdue item:
 *
 * - a grant the store holds as active is claimed (`grants.claimNow`) and revoked exactly as the revoke job
 *   would, so the two never both act; one the store holds as `revoking` is being revoked right now: left
 *   alone. A grant the store does not know (or knows only as an older, finished one) is revoked from its
 *   tag alone.
 * - temporary users and offboarded users past their deletion date are handled under the temporary-access
 *   and offboard-sweep jobs' own leases, so neither job runs the same user at the same time.
 *
 * Slack is only told, best effort: nothing here waits on it.
 */
export type ReconcileDeps = Pick<Deps, 'config' | 'core' | 'clock' | 'logger' | 'client' | 'store' | 'roles'>;

export const RECONCILE_ACTOR = 'system:grant-reconcile';
/** The host's lease names (jobs/host.ts: `job:<name>`) of the jobs whose work the reconcile shares. */
const TEMPORARY_ACCESS_LEASE = 'job:temporary-access';
const OFFBOARD_SWEEP_LEASE = 'job:offboard-sweep';
const LEASE_MS = 10 * 60_000;
/**
 * A temporary user the store still knows is the temporary-access job's (every minute by default), and the
 * store has no per-user claim: the reconcile waits this long past the end, so in the normal case that job
 * ends it (and its tag) first and the reconcile only picks up what the store lost.
 */
export const TEMPORARY_GRACE_MS = 2 * 60_000;
const REASON = 'expired';

export interface Tally {
  done: number;
  skipped: number;
  failed: number;
}

export interface ReconcileSummary {
  accounts: number;
  failedAccounts: string[];
  users: number;
  /** GetAccountAuthorizationDetails calls, all accounts together. */
  calls: number;
  grants: Tally;
  temporaryUsers: Tally;
  deletions: Tally;
}

const tally = (): Tally => ({ done: 0, skipped: 0, failed: 0 });

function count(t: Tally, r: TagAct | 'skipped' | 'failed'): void {
  if (r === 'done') t.done++;
  else if (r === 'failed') t.failed++;
  else t.skipped++;
}

async function underLease(deps: ReconcileDeps, name: string, work: () => Promise<void>): Promise<boolean> {
  const token = await deps.store.acquireLock(name, LEASE_MS).catch(() => undefined);
  if (!token) return false;
  try {
    await work();
  } finally {
    await deps.store.releaseLock(name, token).catch(() => undefined);
  }
  return true;
}

async function reconcileGrant(
  deps: ReconcileDeps,
  g: TaggedGrant,
  who: Actor,
): Promise<TagAct | 'skipped' | 'failed'> {
  const log = deps.logger.child({ grant: g.grantId, account: g.account, username: g.username });
  const known = await deps.store.grants.get(g.grantId);
  if (known?.status === 'revoking') return 'skipped';
  // An IAM tag never names a permission-set grant (it has no tag; the Identity Center reconcile job owns it):
  // a tag whose id matches one is not this job's to "repair" or revoke.
  if (known?.kind === 'permission-set') return 'skipped';
  if (known?.status === 'active') {
    if (Date.parse(known.expiresAt) > deps.clock.now().getTime()) {
      // The store, the primary record of a live grant, says later: its revoke job ends it then.
      log.warn({ storeExpiresAt: known.expiresAt, tagExpiresAt: g.expiresAt }, 'reconcile: store says later');
      return 'skipped';
    }
    const claimed = await deps.store.grants.claimNow(g.grantId);
    if (!claimed) return 'skipped';
    const ok = await revokeClaimed(deps, claimed, RECONCILE_ACTOR, REASON, { source: IAM_TAG_SOURCE });
    return ok ? 'done' : 'failed';
  }
  // Unknown to the store, or known only as finished: the tag is all there is. The store's record, when it
  // has one, still says what was granted if the tag (expiry-only) does not.
  const spec =
    g.spec ??
    (known
      ? { account: known.account, username: known.username, kind: known.kind, target: known.target }
      : undefined);
  const r = await deps.core.revokeTaggedGrant(g, who, { reason: REASON, ...(spec ? { spec } : {}) });
  if (r === 'done') {
    log.info(
      { source: IAM_TAG_SOURCE, known: Boolean(known) },
      'reconcile: revoked a grant from its IAM tag',
    );
    if (spec && g.ownerSlackId) {
      const shown = { ...spec, id: g.grantId, expiresAt: g.expiresAt } as Grant;
      await postBestEffort(deps.client, deps.logger, g.ownerSlackId, {
        text: grantRevokedText(shown, REASON),
      });
    }
  }
  return r;
}

async function endTemporaryUser(deps: ReconcileDeps, u: TaggedTemporaryUser, who: Actor): Promise<TagAct> {
  const r = await deps.core.endTaggedTemporaryUser(u, who);
  if (r !== 'done') return r;
  deps.logger.info(
    { account: u.account, username: u.username, source: IAM_TAG_SOURCE },
    'reconcile: ended a temporary user from its IAM tag',
  );
  const text = `Temporary access for IAM user \`${u.username}\`${u.requestId ? ` (request \`${u.requestId}\`)` : ''} has ended: the user was offboarded.`;
  for (const user of new Set([u.ownerSlackId, u.requester].filter((x): x is string => Boolean(x)))) {
    await notify(deps.client, user, text).catch(() => undefined);
  }
  return r;
}

/** One item at a time, each failure logged and counted, never thrown: the next run tries again. */
async function each<T>(
  deps: ReconcileDeps,
  items: readonly T[],
  t: Tally,
  what: string,
  act: (item: T) => Promise<TagAct | 'skipped' | 'failed'>,
): Promise<void> {
  for (const item of items) {
    try {
      count(t, await act(item));
    } catch (err) {
      t.failed++;
      deps.logger.error({ err: errorMessage(err), item }, `reconcile: ${what} failed; retrying next run`);
    }
  }
}

export async function reconcileFromIam(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const who = { actor: RECONCILE_ACTOR, requestId: `job-grant-reconcile-${deps.clock.now().toISOString()}` };
  const found = await deps.core.findOverdueInIam(who);
  const summary: ReconcileSummary = {
    accounts: found.accounts.length,
    failedAccounts: found.accounts.filter((a) => a.error).map((a) => a.account),
    users: found.accounts.reduce((n, a) => n + a.users, 0),
    calls: found.accounts.reduce((n, a) => n + a.calls, 0),
    grants: tally(),
    temporaryUsers: tally(),
    deletions: tally(),
  };
  await each(deps, found.grants, summary.grants, 'grant revoke', (g) => reconcileGrant(deps, g, who));
  const graceEnd = deps.clock.now().getTime() - TEMPORARY_GRACE_MS;
  const temporary = found.temporaryUsers.filter((u) => Date.parse(u.endsAt) <= graceEnd);
  summary.temporaryUsers.skipped += found.temporaryUsers.length - temporary.length;
  if (temporary.length > 0) {
    const ran = await underLease(deps, TEMPORARY_ACCESS_LEASE, () =>
      each(deps, temporary, summary.temporaryUsers, 'temporary user end', (u) =>
        endTemporaryUser(deps, u, who),
      ),
    );
    if (!ran) summary.temporaryUsers.skipped += temporary.length;
  }
  if (found.deletions.length > 0) {
    const ran = await underLease(deps, OFFBOARD_SWEEP_LEASE, () =>
      each(deps, found.deletions, summary.deletions, 'offboarded user delete', (d) =>
        deps.core.deleteTaggedUser(d, who),
      ),
    );
    if (!ran) summary.deletions.skipped += found.deletions.length;
  }
  return summary;
}
