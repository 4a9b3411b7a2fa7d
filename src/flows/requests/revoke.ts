import type { Actor, Revocation } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage, NotFoundError } from '../../errors.js';
import type { PendingRequest } from '../../store/types.js';

/**
 * An access review's revocation as an approval request (kind 'revoke'): filed by the reviewer
 * (flows/review/revoke.ts), run here once approved. The item is read again from the review store, never
 * taken from the request, so what runs is what the reviewer decided on.
 */
export async function runRevocation(deps: Deps, r: PendingRequest, who: Actor): Promise<string> {
  if (!r.review) throw new Error(`request ${r.id} is a revocation without its review item`);
  const item = await deps.store.reviews.getItem(r.review.itemId);
  if (!item) throw new NotFoundError(`review item ${r.review.itemId} no longer exists; nothing was changed`);
  if (item.decision?.outcome !== 'revoke')
    throw new NotFoundError(`review item ${item.id} was not decided revoke; nothing was changed`);
  const out = await deps.core.reviews.revoke(
    { account: item.account, principal: item.principal, entitlement: item.entitlement },
    who,
  );
  return revocationLine(out, item.accountName);
}

/** The reviewer's and the campaign's line: what was removed, or that it was gone already. */
export function revocationLine(out: { changed: boolean; detail: string }, accountName: string): string {
  const line = `${out.detail} (${accountName})`;
  return out.changed ? line : `nothing to revoke: ${line}`;
}

/**
 * Keeps the review item's revocation in step with its request's end (done, failed, denied, expired), from
 * wherever the request ends: a click, an execution, the expiry job, recovery. Never throws: the request has
 * ended whatever the review store says, and a gap is logged.
 */
export async function followRevocation(
  deps: Pick<Deps, 'store' | 'clock' | 'logger'>,
  r: PendingRequest,
  status: Exclude<Revocation['status'], 'requested'>,
  detail?: string,
): Promise<void> {
  if (r.kind !== 'revoke' || !r.review) return;
  const revocation: Revocation = {
    status,
    requestId: r.id,
    at: deps.clock.now().toISOString(),
    ...(detail ? { detail } : {}),
  };
  try {
    await deps.store.reviews.setRevocation(r.review.itemId, revocation);
  } catch (err) {
    deps.logger.error(
      { err: errorMessage(err), request: r.id, item: r.review.itemId, status },
      'could not record the revocation on its review item',
    );
  }
}
