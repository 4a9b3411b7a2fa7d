import type { ReviewCampaign } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { openDm } from '../../slack/users.js';
import { escapeText } from '../../views/escape.js';
import { pageOfBlocks, reviewerDm } from '../../views/review.js';
import { publishHome } from '../home.js';

/** Why a reviewer is being written to: the DM's opening line differs, the items are the same. */
export type ReviewerDmReason = 'launch' | 'reminder' | 'escalated' | 'reassigned';

const INTRO: Record<ReviewerDmReason, string> = {
  launch: ':clipboard: You are a reviewer in a new access review.',
  reminder: ':alarm_clock: Reminder: you still have access to review.',
  escalated: ':rotating_light: These items were not reviewed by their due date and now come to you.',
  reassigned: ':arrow_right: Access was handed to you to review.',
};

/** The DM message a reviewer sees for one page of their open items, read fresh from the store. */
export async function reviewerPage(
  deps: Deps,
  campaign: ReviewCampaign,
  reviewer: string,
  page: number,
  extra: { intro?: string; notice?: string } = {},
) {
  const all = await deps.store.reviews.items(campaign.id, { reviewer });
  const open = all.filter((i) => !i.decision);
  return {
    open: open.length,
    message: reviewerDm({ campaign, open, total: all.length, page, ...extra }),
  };
}

/**
 * DMs `reviewer` their open items of `campaign`: a summary, then the first page of items with their
 * buttons. Nothing is sent when nothing is left to review. Never throws for one reviewer's failure: false.
 */
export async function sendReviewerDm(
  deps: Deps,
  campaign: ReviewCampaign,
  reviewer: string,
  reason: ReviewerDmReason,
): Promise<boolean> {
  try {
    const { open, message } = await reviewerPage(deps, campaign, reviewer, 0, { intro: INTRO[reason] });
    if (open === 0) return true;
    const channel = await openDm(deps.client, reviewer);
    await deps.client.chat.postMessage({ channel, ...message });
    return true;
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err), campaign: campaign.id, reviewer }, 'reviewer DM failed');
    return false;
  }
}

/** A DM message a click came from: trusted only as the place to redraw, and only if it is the clicker's DM. */
export interface ClickedMessage {
  channel: string;
  ts: string;
  page: number;
}

/**
 * Redraws the reviewer's page in the message the click came from. The payload's channel must be the
 * bot's DM with this user (asked of Slack, not read from the payload), so a crafted click cannot make the
 * bot overwrite a message elsewhere. False when it did not redraw (the caller then answers otherwise).
 */
export async function redrawPage(
  deps: Deps,
  user: string,
  campaign: ReviewCampaign,
  from: ClickedMessage,
  notice?: string,
): Promise<boolean> {
  try {
    if ((await openDm(deps.client, user)) !== from.channel) return false;
    const { message } = await reviewerPage(deps, campaign, user, from.page, notice ? { notice } : {});
    await deps.client.chat.update({ channel: from.channel, ts: from.ts, ...message });
    return true;
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err), campaign: campaign.id }, 'review page redraw failed');
    return false;
  }
}

/** App Home's "Show my items": page 1 of the caller's open items as a new DM. */
export async function showMyItems(deps: Deps, user: string, campaignId: string): Promise<string | undefined> {
  const campaign = await deps.store.reviews.getCampaign(campaignId);
  if (campaign?.status !== 'open') return 'This access review is not open any more.';
  const { open, message } = await reviewerPage(deps, campaign, user, 0);
  if (open === 0) return `You have nothing left to review in ${escapeText(campaign.name)}.`;
  const channel = await openDm(deps.client, user);
  await deps.client.chat.postMessage({ channel, ...message });
  return undefined;
}

/** The pager: another page of the same DM, redrawn in place. */
export async function turnPage(
  deps: Deps,
  user: string,
  campaignId: string,
  from: ClickedMessage,
): Promise<string | undefined> {
  const campaign = await deps.store.reviews.getCampaign(campaignId);
  if (!campaign) return 'This access review no longer exists.';
  if (!(await redrawPage(deps, user, campaign, from))) return 'Could not show that page; try again.';
  return undefined;
}

/** The DM message a button was clicked in, from the payload (checked against the DM in redrawPage). */
export function clickedMessage(body: {
  channel?: { id?: string };
  message?: { ts?: string; blocks?: unknown[] };
  container?: { type?: string };
}): ClickedMessage | undefined {
  const channel = body.channel?.id;
  const ts = body.message?.ts;
  return channel && ts ? { channel, ts, page: pageOfBlocks(body.message?.blocks) } : undefined;
}

/** A click on the clicker's own App Home: no message to redraw; Home is re-published for them instead. */
export interface ClickedHome {
  home: true;
}
export type ClickedSurface = ClickedMessage | ClickedHome;

/** Where a button was clicked: the clicker's App Home, or a DM message (checked against the DM on redraw). */
export function clickedSurface(body: {
  channel?: { id?: string };
  message?: { ts?: string; blocks?: unknown[] };
  container?: { type?: string };
  view?: { type?: string };
}): ClickedSurface | undefined {
  if (body.container?.type === 'view' && body.view?.type === 'home') return { home: true };
  return clickedMessage(body);
}

/**
 * Re-publishes `user`'s App Home after a click there (always the clicker's own Home: the user id is
 * Slack's, not the payload's words). False when it failed (the caller then answers otherwise).
 */
export async function republishHome(deps: Deps, user: string): Promise<boolean> {
  try {
    await publishHome(deps, user);
    return true;
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err) }, 'home re-publish after a review click failed');
    return false;
  }
}
