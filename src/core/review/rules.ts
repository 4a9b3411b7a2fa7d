import type { CampaignStatus, ItemChangeResult, ReviewItem } from './types.js';

type Refusal = Extract<ItemChangeResult, { ok: false }>['reason'];

/**
 * Why `by` may not decide (or reassign) the item now, or undefined when they may: the one rule every store
 * applies inside its atomic step (the Redis script mirrors it; the contract suite holds all three to it).
 */
export function changeRefusal(
  status: CampaignStatus | undefined,
  item: ReviewItem | undefined,
  by: string,
): Refusal | undefined {
  if (!item || !status) return 'missing';
  if (status !== 'open') return 'closed';
  if (item.decision) return 'decided';
  if (item.ownerSlackId !== undefined && item.ownerSlackId === by) return 'self';
  if (item.reviewer !== by) return 'not-reviewer';
  return undefined;
}
