import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { notify } from '../slack/dm.js';

/** A job's actor and a request id for this run, from the injected clock. */
function jobActor(deps: Deps, job: string) {
  return { actor: `system:${job}`, requestId: `job-${job}-${deps.clock.now().toISOString()}` };
}

/** Deactivates, then deletes, old keys whose rotation grace period has passed (core decides which). */
export async function sweepKeyRotations(deps: Deps): Promise<void> {
  await deps.core.sweepKeyRotations(jobActor(deps, 'key-rotation-sweep'));
}

/** Deletes offboarded users whose retention has passed: IAM users, then IAM Identity Center users. */
export async function sweepOffboarded(deps: Deps): Promise<void> {
  const who = jobActor(deps, 'offboard-sweep');
  let iamError: unknown;
  await deps.core.sweepOffboarded(who).catch((err: unknown) => {
    iamError = err;
  });
  // Independent of IAM: one failing must not keep the other's leavers around.
  if (deps.config.identity_center) {
    const ic = await deps.core.identityCenterPeople.sweep(who);
    for (const f of ic.failed)
      deps.logger.error(
        { userId: f.userId, err: f.error },
        'could not delete an offboarded Identity Center user',
      );
  }
  if (iamError) throw iamError;
}

/**
 * Ends temporary users (the create modal's duration): each due user is offboarded through core and the
 * owner and requester are told. A failure puts the record back for the next run.
 */
export async function endTemporaryUsers(deps: Deps): Promise<void> {
  for (const g of await deps.store.takeDueTemporaryUsers(deps.clock.now())) {
    const who = { actor: 'system:temporary-access', requestId: g.id };
    let status: string;
    try {
      ({ status } = await deps.core.offboardUser({ account: g.account, username: g.username }, who));
    } catch (err) {
      deps.logger.error(
        { err: errorMessage(err), grant: g.id },
        'could not end temporary access; retrying next run',
      );
      await deps.store.putTemporaryUser(g);
      continue;
    }
    // The grant-reconcile job got there first (from the user's IAM tag) and has told them already.
    if (status === 'already-offboarded') continue;
    const text = `Temporary access for IAM user \`${g.username}\` (request \`${g.id}\`) has ended: the user was offboarded.`;
    for (const user of new Set([g.owner, g.requester].filter((u): u is string => Boolean(u)))) {
      await notify(deps.client, user, text).catch(() => undefined);
    }
  }
}
