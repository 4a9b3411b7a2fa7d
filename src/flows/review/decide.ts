import {
  changeRefusal,
  type DecisionOutcome,
  type ItemChangeResult,
  type ReviewCampaign,
  type ReviewItem,
} from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { userInfo } from '../../slack/users.js';
import { escapeText as esc, slackDate } from '../../views/escape.js';
import { entitlementText, personKey } from '../../views/review.js';
import { refreshProgress } from './progress.js';
import {
  type ClickedMessage,
  type ClickedSurface,
  redrawPage,
  republishHome,
  sendReviewerDm,
} from './reviewer-dm.js';
import { requestRevocation } from './revoke.js';

/**
 * Keep, revoke and reassign one review item. Everything is read from the store by the item's id: the
 * payload names the item, never who reviews it or what it is. The store applies the one rule atomically
 * (core/review/rules.ts); the checks here only pick words and spare a modal the store would refuse.
 */

type Refusal = Extract<ItemChangeResult, { ok: false }>['reason'];

export type DecideResult =
  /** `redrawn`: the DM page the click came from shows the outcome; otherwise the caller tells the user. */
  | { status: 'done'; item: ReviewItem; line: string; redrawn?: boolean }
  /** Keeping unused access needs a comment: the caller opens the comment modal. */
  | { status: 'needs-comment'; item: ReviewItem; campaign: ReviewCampaign }
  | { status: 'refused'; reason: Refusal; line: string; redrawn?: boolean };

const KEPT = { keep: 'kept', revoke: 'revoked' } as const;

function what(item: ReviewItem): string {
  return `${entitlementText(item)} of *${esc(item.principal.name)}* in ${esc(item.accountName)}`;
}

/** The rule's refusal, ahead of the store (which decides): for the modal paths, which write nothing. */
function precheck(campaign: ReviewCampaign | undefined, item: ReviewItem, by: string): Refusal | undefined {
  return changeRefusal(campaign?.status, item, by);
}

function refusalLine(
  deps: Deps,
  reason: Refusal,
  item: ReviewItem | undefined,
  campaign: ReviewCampaign | undefined,
  user: string,
): string {
  if (!item || reason === 'missing') return 'This review item no longer exists.';
  switch (reason) {
    case 'closed':
      return `The access review ${esc(campaign?.name ?? item.campaignId)} is ${campaign?.status ?? 'closed'}: it takes no more decisions.`;
    case 'decided': {
      const d = item.decision;
      if (!d) return `${what(item)} is already decided.`;
      const who = d.by === user ? 'You' : `<@${d.by}>`;
      return `Already decided: ${who} ${KEPT[d.outcome]} ${what(item)} ${slackDate(d.at)}.`;
    }
    case 'self': {
      const goesTo =
        item.reviewer && item.reviewer !== user
          ? `<@${item.reviewer}>`
          : `the fallback reviewers (${(deps.config.review?.fallback_reviewers ?? []).map((f) => `<@${f}>`).join(', ') || 'none configured'}) when the review is escalated`;
      return `You cannot review your own access; it goes to ${goesTo}.`;
    }
    case 'not-reviewer':
      return `You are not the reviewer of ${what(item)}${item.reviewer ? `; <@${item.reviewer}> is` : ''}.`;
  }
}

async function load(deps: Deps, itemId: string) {
  const item = await deps.store.reviews.getItem(itemId);
  const campaign = item ? await deps.store.reviews.getCampaign(item.campaignId) : undefined;
  return { item, campaign };
}

async function audit(
  deps: Deps,
  user: string,
  action: string,
  item: ReviewItem,
  details: Record<string, unknown>,
): Promise<void> {
  await deps.core.audit({
    actor: user,
    action,
    account: item.account,
    target: item.principal.name,
    outcome: 'success',
    requestId: item.id,
    details: {
      campaign: item.campaignId,
      item: item.id,
      entitlement: `${item.entitlement.kind}:${item.entitlement.name}`,
      ...details,
    },
  });
}

async function progress(deps: Deps, campaignId: string): Promise<void> {
  await refreshProgress(deps, campaignId).catch((err: unknown) =>
    deps.logger.warn({ err: errorMessage(err), campaign: campaignId }, 'review progress refresh failed'),
  );
}

/** Records one decision and does what follows it; no redraw, no progress (the callers batch those). */
async function record(
  deps: Deps,
  user: string,
  item: ReviewItem,
  campaign: ReviewCampaign | undefined,
  outcome: DecisionOutcome,
  comment: string | undefined,
): Promise<Exclude<DecideResult, { status: 'needs-comment' }>> {
  const r = await deps.store.reviews.decide(item.id, {
    outcome,
    by: user,
    at: deps.clock.now().toISOString(),
    ...(comment ? { comment } : {}),
  });
  if (!r.ok)
    return {
      status: 'refused',
      reason: r.reason,
      line: refusalLine(deps, r.reason, r.item ?? item, campaign, user),
    };
  await audit(deps, user, 'review.decide', r.item, { outcome, ...(comment ? { comment } : {}) });
  let line = `:white_check_mark: You ${KEPT[outcome]} ${what(r.item)}.`;
  if (outcome === 'revoke') {
    try {
      line += `\n${await requestRevocation(deps, r.item, user)}`;
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err), item: item.id }, 'revocation request failed');
      line += `\n:warning: The revocation could not be filed: ${esc(errorMessage(err))}. Your decision is recorded, but the access is still there: tell an admin.`;
    }
  }
  return { status: 'done', item: r.item, line };
}

/**
 * Keep or revoke one item as `user`. A keep of unused access without a comment is refused with
 * `needs-comment` (nothing written). On success: audited, revocation filed, progress refreshed, and the
 * DM page the click came from redrawn with the outcome line (or, for a click on App Home, Home re-published).
 */
export async function decideItem(
  deps: Deps,
  user: string,
  itemId: string,
  outcome: DecisionOutcome,
  comment?: string,
  from?: ClickedSurface,
): Promise<DecideResult> {
  const { item, campaign } = await load(deps, itemId);
  if (!item)
    return { status: 'refused', reason: 'missing', line: refusalLine(deps, 'missing', item, campaign, user) };
  const note = comment?.trim() || undefined;
  if (outcome === 'keep' && item.evidence.unused && !note) {
    const refusal = precheck(campaign, item, user);
    if (refusal)
      return { status: 'refused', reason: refusal, line: refusalLine(deps, refusal, item, campaign, user) };
    if (campaign) return { status: 'needs-comment', item, campaign };
  }
  const out = await record(deps, user, item, campaign, outcome, note);
  if (out.status === 'done') await progress(deps, item.campaignId);
  // A click on an item decided or handed over meanwhile (a double click, a Keep through the comment modal,
  // a reassignment, an escalation) redraws the stale page with the answer, so it stops offering the item.
  const redraw = out.status === 'done' || out.reason === 'decided' || out.reason === 'not-reviewer';
  if (from && 'home' in from) {
    const republished = redraw && (await republishHome(deps, user));
    // Home has no place for the outcome line: a kept item leaving it says enough, while a revocation's
    // filing and every refusal are still told to the clicker.
    return { ...out, redrawn: republished && out.status === 'done' && outcome === 'keep' };
  }
  const redrawn =
    !!redraw && !!from && !!campaign && (await redrawPage(deps, user, campaign, from, out.line));
  return { ...out, redrawn };
}

/** Checks a keep-comment submission before its ack: the words for the modal, or undefined when it may go on. */
export async function checkDecision(deps: Deps, user: string, itemId: string): Promise<string | undefined> {
  const { item, campaign } = await load(deps, itemId);
  if (!item) return refusalLine(deps, 'missing', item, campaign, user);
  const refusal = precheck(campaign, item, user);
  return refusal ? refusalLine(deps, refusal, item, campaign, user) : undefined;
}

/**
 * "Keep all" on a person: keeps every undecided item of that person that `user` reviews in the campaign,
 * except access unused beyond the thresholds (each needs its own comment): those are listed back.
 */
export async function keepAll(
  deps: Deps,
  user: string,
  itemId: string,
  from?: ClickedMessage,
): Promise<{ line: string; redrawn: boolean }> {
  const { item, campaign } = await load(deps, itemId);
  if (!item) return { line: refusalLine(deps, 'missing', item, campaign, user), redrawn: false };
  const refusal = precheck(campaign, item, user);
  // A decided item still names its person: only "not yours" or "not open" stop the rest.
  if (refusal && refusal !== 'decided')
    return { line: refusalLine(deps, refusal, item, campaign, user), redrawn: false };
  const key = personKey(item);
  const mine = (await deps.store.reviews.items(item.campaignId, { reviewer: user, open: true })).filter(
    (i) => personKey(i) === key,
  );
  let kept = 0;
  const skipped: ReviewItem[] = [];
  const refused: string[] = [];
  for (const i of mine) {
    if (i.evidence.unused) {
      skipped.push(i);
      continue;
    }
    const r = await record(deps, user, i, campaign, 'keep', undefined);
    if (r.status === 'done') kept++;
    else refused.push(r.line);
  }
  const lines = [`:white_check_mark: Kept ${kept} item(s) of *${esc(item.principal.name)}*.`];
  if (skipped.length > 0)
    lines.push(
      `Not kept, unused beyond the thresholds (each needs a comment: use its *Keep*): ${skipped
        .slice(0, 20)
        .map((i) => entitlementText(i))
        .join(', ')}${skipped.length > 20 ? ` …and ${skipped.length - 20} more` : ''}.`,
    );
  if (refused.length > 0) lines.push(...refused.slice(0, 5));
  const line = lines.join('\n');
  if (kept > 0) await progress(deps, item.campaignId);
  const redrawn = !!from && !!campaign && (await redrawPage(deps, user, campaign, from, line));
  return { line, redrawn };
}

/**
 * Why `user` may not hand the item to `to`, or undefined when they may: checked before the modal's ack,
 * and again (with the store's atomic rule) when it runs.
 */
export async function checkReassign(
  deps: Deps,
  user: string,
  itemId: string,
  to: string,
): Promise<string | undefined> {
  const { item, campaign } = await load(deps, itemId);
  if (!item) return refusalLine(deps, 'missing', item, campaign, user);
  const refusal = precheck(campaign, item, user);
  if (refusal) return refusalLine(deps, refusal, item, campaign, user);
  if (to === user) return 'Pick someone else: this item is already yours to review.';
  if (item.ownerSlackId !== undefined && to === item.ownerSlackId)
    return 'That person owns this access, and nobody reviews their own access: pick someone else.';
  const info = await userInfo(deps.client, to);
  if (!info || info.deleted) return 'That Slack user cannot be found (or is deactivated).';
  if (info.isBot) return 'A bot cannot review access: pick a person.';
  return undefined;
}

/**
 * "Not my report": hands the item to `to` with a reason, audited, and DMs them. Returns the line for `user`.
 */
export async function reassignItem(
  deps: Deps,
  user: string,
  itemId: string,
  to: string,
  reason: string,
): Promise<string> {
  const problem = await checkReassign(deps, user, itemId, to);
  if (problem) return problem;
  const r = await deps.store.reviews.reassign(itemId, {
    to,
    by: user,
    at: deps.clock.now().toISOString(),
    reason,
  });
  const { item, campaign } = await load(deps, itemId);
  if (!r.ok) return refusalLine(deps, r.reason, r.item ?? item, campaign, user);
  await audit(deps, user, 'review.reassign', r.item, { from: user, to, reason });
  await progress(deps, r.item.campaignId);
  const told = campaign ? await sendReviewerDm(deps, campaign, to, 'reassigned') : false;
  return `:arrow_right: Handed ${what(r.item)} to <@${to}>${told ? '' : ' (the DM to them failed: tell them yourself)'}.`;
}
