import type { ReviewCampaign } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { notify } from '../../slack/dm.js';

/** Why a reviewer is being written to: the DM's opening line differs, the items are the same. */
export type ReviewerDmReason = 'launch' | 'reminder' | 'escalated' | 'reassigned';

/**
 * CONTRACT (owned by the Slack-views work): DMs `reviewer` their open items of `campaign`: a summary, then
 * the first page of items with their buttons. Never throws for one reviewer's failure: returns false.
 * This plain-text body is a placeholder until the paged Block Kit DM replaces it.
 */
export async function sendReviewerDm(
  deps: Deps,
  campaign: ReviewCampaign,
  reviewer: string,
  reason: ReviewerDmReason,
): Promise<boolean> {
  const open = await deps.store.reviews.items(campaign.id, { reviewer, open: true });
  try {
    await notify(
      deps.client,
      reviewer,
      `Access review ${campaign.name} (${reason}): ${open.length} item(s) to review.`,
    );
    return true;
  } catch {
    return false;
  }
}
