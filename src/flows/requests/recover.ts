import { type Actor, grantId } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { ConflictError, errorMessage, NotFoundError, ValidationError } from '../../errors.js';
import { notify, resolveOwner } from '../../slack/dm.js';
import type { PendingRequest } from '../../store/types.js';
import {
  createInput,
  identityCenterTemplate,
  recordTemporaryUser,
  tellHowToSignIn,
  temporaryEnd,
} from './create.js';
import { failureLine, LEASE_LAPSED_MS, run } from './execute.js';
import { deliveryLine, resetHint, sendFreshPassword } from './password.js';
import { auditRequest, updateApprovalMessage } from './record.js';
import { followRevocation } from './revoke.js';

export const RESTARTED = 'the bot restarted during execution';

/** When IAM cannot tell what happened. */
export const STUCK_OUTCOME =
  'outcome unknown: the bot stopped while running this request; check the IAM user before asking again';

type Outcome = { status: 'done' | 'failed'; outcome: string };

/**
 * A run whose replica died (kill -9, a crash, a deploy past the shutdown grace) is finished from what IAM
 * says, never by guessing: requests that add access (create, grant) are inspected and never re-applied;
 * requests that remove access (offboard, remediate, revoke) are idempotent and are simply run again. Only runs
 * whose lease lapsed (`cutoff`) are taken, so a request a live replica is running is left to it, and a
 * per-request lock keeps two recovering replicas from doing one twice. Returns how many it finished.
 */
export async function recoverStuckRequests(deps: Deps, cutoff: Date): Promise<number> {
  let finished = 0;
  for (const stale of await deps.store.listApprovingSince(cutoff)) {
    const lock = `recover:${stale.id}`;
    const token = await deps.store.acquireLock(lock, 10 * 60_000);
    if (!token) continue;
    try {
      const r = await deps.store.getRequest(stale.id);
      if (r?.status !== 'approving') continue;
      const log = deps.logger.child({ request: r.id });
      const { status, outcome } = await reconcile(deps, r).catch(
        (err: unknown): Outcome => ({
          status: 'failed',
          outcome: `${STUCK_OUTCOME} (IAM could not be checked: ${errorMessage(err)})`,
        }),
      );
      if (!(await deps.store.finish(r.id, status, outcome, deps.clock.now()))) continue;
      finished++;
      await followRevocation(deps, r, status, outcome);
      log.warn({ status }, 'request left running by a stopped bot was recovered');
      await auditRequest(deps, r, 'system', status === 'done' ? 'success' : 'failure', {
        ...(status === 'failed' ? { error: outcome } : {}),
        details: { recovered: true },
      });
      await updateApprovalMessage(deps, { ...r, status, outcome });
      await notify(
        deps.client,
        r.requester,
        `Your request \`${r.id}\` (${r.target.username}) ${status === 'done' ? 'is done' : 'failed'}: ${outcome}.`,
      ).catch(() => undefined);
    } finally {
      await deps.store.releaseLock(lock, token).catch(() => undefined);
    }
  }
  return finished;
}

function reconcile(deps: Deps, r: PendingRequest): Promise<Outcome> {
  const who: Actor = { actor: 'system', requestId: r.id };
  switch (r.kind) {
    case 'create':
      return reconcileCreate(deps, r, who);
    case 'grant':
      return reconcileGrant(deps, r, who);
    case 'offboard':
    case 'remediate':
    case 'revoke':
      return runAgain(deps, r, who);
  }
}

/** Offboarding, remediations and revocations only take access away, each step idempotent: finish the job. */
async function runAgain(deps: Deps, r: PendingRequest, who: Actor): Promise<Outcome> {
  try {
    const line = await run(deps, r, { ...who, actor: r.decidedBy ?? 'system' });
    return { status: 'done', outcome: `${RESTARTED}, so it was run again: ${line}` };
  } catch (err) {
    return { status: 'failed', outcome: `${RESTARTED}, and running it again failed: ${failureLine(err)}` };
  }
}

/**
 * Does the user exist, exactly as the request would have made it? Then it is done, but its first password
 * died with the process: a fresh one goes to the owner (or the request says it needs a reset).
 */
async function reconcileCreate(deps: Deps, r: PendingRequest, who: Actor): Promise<Outcome> {
  if (r.identityCenter) return reconcileIdentityCenterCreate(deps, r);
  const name = `\`${r.target.username}\``;
  let snap: Awaited<ReturnType<Deps['core']['describeUser']>>;
  try {
    snap = await deps.core.describeUser(r.account, r.target.username, who);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return {
      status: 'failed',
      outcome: `${RESTARTED}, before ${name} was created: nothing exists in IAM; ask again`,
    };
  }
  const owner = await resolveOwner(deps.client, r.target).catch(() => undefined);
  try {
    await deps.core.validateCreate(createInput(r, owner), who);
  } catch (err) {
    if (!(err instanceof ConflictError || err instanceof ValidationError)) throw err;
    return {
      status: 'failed',
      outcome: `${RESTARTED}: ${name} exists in IAM but not as requested (${errorMessage(err)}); it was left as is: offboard it, then ask again`,
    };
  }
  let line = `${RESTARTED}; ${name} exists in IAM as requested (${snap.arn})`;
  const endsAt = temporaryEnd(deps, r);
  if (endsAt) line += await recordTemporaryUser(deps, r, r.target.username, owner, endsAt);
  if (!snap.hasLoginProfile) return { status: 'done', outcome: line };
  const target = { account: r.account, username: r.target.username };
  if (!owner)
    return {
      status: 'done',
      outcome: `${line}; its initial password was lost with the process and no Slack user was found for the owner: NEEDS A PASSWORD RESET (tag the owner, then ${resetHint(target)})`,
    };
  try {
    const delivery = await sendFreshPassword(deps, target, owner, who);
    return {
      status: 'done',
      outcome: `${line}; its initial password was lost with the process, so it was reset and the new ${deliveryLine(delivery, owner, target, 'password')}`,
    };
  } catch (err) {
    return {
      status: 'done',
      outcome: `${line}; its initial password was lost with the process and resetting it failed (${errorMessage(err)}): NEEDS A PASSWORD RESET (${resetHint(target)})`,
    };
  }
}

/**
 * An Identity Center create: the Identity Store user with every group of its template is done (no password
 * died with the process, so the owner is only told again how to sign in); anything less is left as is.
 */
async function reconcileIdentityCenterCreate(deps: Deps, r: PendingRequest): Promise<Outcome> {
  const name = `\`${r.target.username}\``;
  const found = await deps.core.identityCenterPeople.describe(r.target.username);
  if (!found)
    return {
      status: 'failed',
      outcome: `${RESTARTED}, before ${name} was created: nothing exists in IAM Identity Center; ask again`,
    };
  const missing = (identityCenterTemplate(deps, r.template)?.groups ?? []).filter(
    (g) => !found.groups.includes(g),
  );
  if (missing.length > 0)
    return {
      status: 'failed',
      outcome: `${RESTARTED}: ${name} exists in IAM Identity Center but not in ${missing.join(', ')}; it was left as is: offboard it (/aws-user offboard ${r.target.username} identity-center), then ask again`,
    };
  const owner = await resolveOwner(deps.client, r.target).catch(() => undefined);
  const told = await tellHowToSignIn(deps, owner, { userName: r.target.username, groups: found.groups });
  return {
    status: 'done',
    outcome: `${RESTARTED}; ${name} exists in IAM Identity Center as requested (${found.userId}); ${told}`,
  };
}

/**
 * A permission set is recorded as an active grant before its assignment is created, so the record alone
 * tells: there, and the assignment (made or not) is revoked on time by the grant machinery; absent, nothing
 * was assigned. Identity Center is never asked, and an assignment held without a record is the reconcile
 * job's (elevation_only sets) or was standing access before the request.
 */
async function reconcilePermissionSetGrant(
  deps: Deps,
  r: PendingRequest & { grant: NonNullable<PendingRequest['grant']> },
): Promise<Outcome> {
  const spec = {
    account: r.account,
    username: r.target.username,
    kind: r.grant.kind,
    target: r.grant.target,
    ...(r.grant.principalId ? { principalId: r.grant.principalId } : {}),
  };
  const what = `permission set ${spec.target} for \`${spec.username}\``;
  const recorded = await deps.store.grants.get(grantId(spec));
  if (recorded?.status === 'active')
    return { status: 'done', outcome: `${RESTARTED}; ${what} is granted until ${recorded.expiresAt}` };
  return {
    status: 'failed',
    outcome: `${RESTARTED}, before ${what} was granted: nothing changed; ask again`,
  };
}

/**
 * A grant is done only if the store holds its expiry (else nothing would revoke it on time). Access the
 * bot put in IAM (its grant tag is there) without a recorded expiry is taken back.
 */
async function reconcileGrant(deps: Deps, r: PendingRequest, who: Actor): Promise<Outcome> {
  if (!r.grant) return { status: 'failed', outcome: `${STUCK_OUTCOME} (a grant without its access)` };
  if (r.grant.kind === 'permission-set') return reconcilePermissionSetGrant(deps, { ...r, grant: r.grant });
  const spec = {
    account: r.account,
    username: r.target.username,
    kind: r.grant.kind,
    target: r.grant.target,
  };
  const what = `${spec.kind} ${spec.target} for \`${spec.username}\``;
  const recorded = await deps.store.grants.get(grantId(spec));
  if (recorded?.status === 'active')
    return { status: 'done', outcome: `${RESTARTED}; ${what} is granted until ${recorded.expiresAt}` };
  const snap = await deps.core.describeUser(r.account, r.target.username, who);
  const held =
    spec.kind === 'group' ? snap.groups.includes(spec.target) : snap.managedPolicies.includes(spec.target);
  const tagged = Object.keys(snap.tags).some((k) => k.endsWith(grantId(spec)));
  if (tagged) {
    await deps.core.revokeGrant(spec, who, 'the bot restarted before the grant’s expiry was recorded');
    return {
      status: 'failed',
      outcome: `${RESTARTED}, before the expiry of ${what} was recorded, so the access was taken back; ask again`,
    };
  }
  if (held)
    return {
      status: 'failed',
      outcome: `${RESTARTED}: \`${spec.username}\` holds ${spec.kind} ${spec.target} with no expiry tag; check whether it should be permanent, and remove it if not`,
    };
  return {
    status: 'failed',
    outcome: `${RESTARTED}, before ${what} was granted: nothing changed; ask again`,
  };
}

/**
 * At start. With the embedded store this process is the only instance (the store's instance lock), so any
 * request approving before it started was orphaned by the last one. With Redis another replica may be
 * running it: only lapsed leases are taken now, and a second pass once a lease could have lapsed catches
 * those that were fresh at start (the approval-expiry job keeps doing it after that).
 */
export async function recoverAtStart(
  deps: Deps,
  opts: { startedAt: Date; exclusive: boolean },
): Promise<number> {
  const cutoff = opts.exclusive ? opts.startedAt : new Date(opts.startedAt.getTime() - LEASE_LAPSED_MS);
  return recoverStuckRequests(deps, cutoff);
}
