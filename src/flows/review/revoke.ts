import type { ReviewItem } from '../../core/index.js';
import type { Deps } from '../../deps.js';

/**
 * CONTRACT (owned by the revocation work): after `by` decided `revoke` on `item` (the store recorded it),
 * files the remediation request through the approval flow, or runs it at once when
 * review.revoke_without_approval is set and `by` is an approver. Records the revocation on the item
 * (setRevocation) and returns one line for the reviewer.
 */
export async function requestRevocation(_deps: Deps, item: ReviewItem, _by: string): Promise<string> {
  throw new Error(`revocation of ${item.id} is not built yet`);
}
