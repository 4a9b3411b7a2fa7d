import { type ReviewCampaign, type ReviewStore, reviewSummary } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { browseUrl } from '../../integrations/jira.js';
import { reviewProgressMessage } from '../../views/review-progress.js';

/** Decisions come in bursts (a reviewer clicking through a page); the message follows at this pace at most. */
export const PROGRESS_MIN_INTERVAL_MS = 5_000;

interface Throttle {
  last: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

/**
 * Per replica and per store (so two apps in one test process never share a timer): when each campaign's
 * message was last updated, and its pending trailing update.
 */
const throttles = new WeakMap<ReviewStore, Map<string, Throttle>>();

function throttleOf(deps: Deps, campaignId: string): Throttle {
  let byCampaign = throttles.get(deps.store.reviews);
  if (!byCampaign) {
    byCampaign = new Map();
    throttles.set(deps.store.reviews, byCampaign);
  }
  let t = byCampaign.get(campaignId);
  if (!t) {
    t = { last: Number.NEGATIVE_INFINITY };
    byCampaign.set(campaignId, t);
  }
  return t;
}

/** The message as the campaign stands now (closed: with the revocations' outcome and the Jira link). */
export async function renderProgress(deps: Deps, campaign: ReviewCampaign) {
  const progress = await deps.store.reviews.progress(campaign.id);
  let revocations: { done: number; failed: number; pending: number } | undefined;
  if (campaign.status === 'closed') {
    const r = reviewSummary(await deps.store.reviews.items(campaign.id)).revocations;
    revocations = { done: r.done, failed: r.failed, pending: r.requested };
  }
  const key = campaign.report?.jiraKey;
  return reviewProgressMessage({
    campaign,
    progress,
    ...(revocations ? { revocations } : {}),
    ...(key && deps.config.jira ? { jiraUrl: browseUrl(deps.config.jira, key) } : {}),
  });
}

/** chat.update of the campaign's message now; logs and swallows every failure. */
export async function updateProgressNow(deps: Deps, campaignId: string): Promise<void> {
  try {
    const campaign = await deps.store.reviews.getCampaign(campaignId);
    if (!campaign?.message) return;
    const msg = await renderProgress(deps, campaign);
    await deps.client.chat.update({
      channel: campaign.message.channel,
      ts: campaign.message.ts,
      text: msg.text,
      blocks: msg.blocks,
    });
  } catch (err) {
    deps.logger.warn(
      { campaign: campaignId, err: errorMessage(err) },
      'review: progress message not updated',
    );
  }
}

/**
 * Brings the campaign's channel message up to date with its progress per reviewer (chat.update in place).
 * At most one update per PROGRESS_MIN_INTERVAL_MS per campaign on this replica; a call inside that window
 * schedules one trailing update, so the last decision always shows. Never throws.
 */
export async function refreshProgress(deps: Deps, campaignId: string): Promise<void> {
  const t = throttleOf(deps, campaignId);
  if (t.timer) return;
  const now = deps.clock.now().getTime();
  const wait = t.last + PROGRESS_MIN_INTERVAL_MS - now;
  if (wait <= 0 && !t.running) {
    t.last = now;
    t.running = updateProgressNow(deps, campaignId).finally(() => {
      t.running = undefined;
    });
    return t.running;
  }
  t.timer = setTimeout(
    () => {
      void runTrailing(deps, campaignId, t);
    },
    Math.max(wait, 50),
  );
  t.timer.unref();
}

async function runTrailing(deps: Deps, campaignId: string, t: Throttle): Promise<void> {
  t.timer = undefined;
  // An update still in flight finishes first, so the trailing one reads the newer numbers.
  await t.running;
  t.last = deps.clock.now().getTime();
  t.running = updateProgressNow(deps, campaignId).finally(() => {
    t.running = undefined;
  });
  await t.running;
}

/** Runs every trailing update this replica holds for the store's campaigns now (shutdown; tests). */
export async function flushProgress(deps: Deps): Promise<void> {
  const byCampaign = throttles.get(deps.store.reviews);
  if (!byCampaign) return;
  await Promise.all(
    [...byCampaign.entries()].map(async ([id, t]) => {
      if (t.timer) {
        clearTimeout(t.timer);
        await runTrailing(deps, id, t);
      } else await t.running;
    }),
  );
}
