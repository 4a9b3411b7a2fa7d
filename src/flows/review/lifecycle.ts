import {
  DAY_MS,
  type ReviewCampaign,
  type StartCampaignOptions,
  type StartedCampaign,
} from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { escapeText, slackDate } from '../../views/escape.js';
import { reviewTotals } from '../../views/review-progress.js';
import { defaultJira, type JiraFactory } from '../digest.js';
import { auditCampaign, closeCampaign, finishClose, reviewChannel } from './close.js';
import { renderProgress, updateProgressNow } from './progress.js';
import { type ReviewerDmReason, sendReviewerDm } from './reviewer-dm.js';
import {
  type Assignment,
  emailCache,
  fallbackReviewers,
  pickFallback,
  resolveReviewers,
  rotation,
} from './reviewers.js';

/**
 * An access-review campaign's life after `created`, driven by the tick job (every 15 minutes) and, for the
 * launch, by the slash command that starts one: launch (reviewers resolved, the channel message, one DM per
 * reviewer), reminders every review.reminder_days until the deadline, escalation of undecided items to the
 * fallback reviewers at the deadline, and the close (flows/review/close.ts). Every step is safe to re-run
 * after a crash: reviewer assignment only touches undecided items, and status changes are compare-and-set.
 */

/** Assignments per store write: a 50,000-item campaign is fifty writes, none of them huge. */
export const ASSIGN_CHUNK = 1000;
/** Reviewer DMs in flight at once (each is a few Slack calls; the WebClient honours Retry-After). */
const DM_CONCURRENCY = 4;

export interface LaunchOutcome {
  launched: boolean;
  assigned: number;
  byManager: number;
  byFallback: number;
  unassigned: number;
  reviewers: number;
  dmsFailed: number;
  message?: { channel: string; ts: string };
}

async function assignInChunks(deps: Deps, assignments: readonly Assignment[]): Promise<number> {
  let changed = 0;
  for (let i = 0; i < assignments.length; i += ASSIGN_CHUNK)
    changed += await deps.store.reviews.assignReviewers(assignments.slice(i, i + ASSIGN_CHUNK));
  return changed;
}

/** DMs each reviewer once (bounded concurrency); returns how many DMs failed. */
async function dmReviewers(
  deps: Deps,
  campaign: ReviewCampaign,
  reviewers: Iterable<string>,
  reason: ReviewerDmReason,
): Promise<number> {
  const queue = [...new Set(reviewers)];
  let failed = 0;
  const worker = async () => {
    for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
      const ok = await sendReviewerDm(deps, campaign, r, reason).catch(() => false);
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: DM_CONCURRENCY }, worker));
  if (failed) deps.logger.warn({ campaign: campaign.id, reason, failed }, 'review: reviewer DMs not sent');
  return failed;
}

/**
 * created → open: resolves each item's reviewer, posts the channel message, moves the campaign to open (the
 * one caller whose compare-and-set wins goes on), then DMs each reviewer once.
 */
export async function launchCampaign(deps: Deps, campaignId: string): Promise<LaunchOutcome> {
  const store = deps.store.reviews;
  const none: LaunchOutcome = {
    launched: false,
    assigned: 0,
    byManager: 0,
    byFallback: 0,
    unassigned: 0,
    reviewers: 0,
    dmsFailed: 0,
  };
  const c = await store.getCampaign(campaignId);
  if (!deps.config.review || c?.status !== 'created') return none;
  const log = deps.logger.child({ campaign: c.id });
  const fallbacks = await fallbackReviewers(deps);
  const items = await store.items(c.id);
  const resolved = await resolveReviewers(deps, items, fallbacks);
  await assignInChunks(deps, resolved.assignments);
  if (resolved.unassigned.length)
    log.warn(
      { unassigned: resolved.unassigned.length, items: resolved.unassigned.slice(0, 20).map((i) => i.id) },
      'review: items without a reviewer (their owner is every fallback reviewer)',
    );

  const launchedAt = deps.clock.now().toISOString();
  const opened: ReviewCampaign = { ...c, status: 'open', launchedAt };
  const channel = reviewChannel(deps);
  let message = c.message;
  let posted = false;
  if (channel) {
    const view = await renderProgress(deps, opened);
    if (message) {
      // A launch that crashed after posting: the same message, brought up to date.
      await deps.client.chat.update({ ...message, text: view.text, blocks: view.blocks });
    } else {
      const res = await deps.client.chat.postMessage({ channel, text: view.text, blocks: view.blocks });
      if (res.ts) {
        message = { channel: res.channel ?? channel, ts: res.ts };
        posted = true;
        await store.updateCampaign(c.id, { message });
      }
    }
  } else log.warn('review: neither review.channel nor slack.approvals_channel is set; no progress message');

  const won = await store.transitionCampaign(c.id, 'created', 'open', {
    launchedAt,
    ...(message ? { message } : {}),
  });
  if (!won) {
    // Another launch got there first; its message is the campaign's, this one is a duplicate.
    if (posted && message)
      await deps.client.chat
        .delete(message)
        .catch((err: unknown) =>
          log.warn({ err: errorMessage(err) }, 'review: duplicate launch message not deleted'),
        );
    return none;
  }
  const campaign: ReviewCampaign = { ...opened, ...(message ? { message } : {}) };
  const reviewers = new Set(resolved.assignments.map((a) => a.reviewer));
  const dmsFailed = await dmReviewers(deps, campaign, reviewers, 'launch');
  const outcome: LaunchOutcome = {
    launched: true,
    assigned: resolved.assignments.length,
    byManager: resolved.byManager,
    byFallback: resolved.byFallback,
    unassigned: resolved.unassigned.length,
    reviewers: reviewers.size,
    dmsFailed,
    ...(message ? { message } : {}),
  };
  const { launched: _l, message: _m, ...counts } = outcome;
  await auditCampaign(deps, 'review.launch', campaign, { items: items.length, ...counts });
  log.info(counts, 'review: campaign launched');
  return outcome;
}

/** The reminder round `now` falls in (1 = reminder_days after launch), or 0 before the first. */
function reminderRound(c: ReviewCampaign, now: number, reminderDays: number): number {
  const since = now - Date.parse(c.launchedAt ?? c.createdAt);
  return Math.max(0, Math.floor(since / (reminderDays * DAY_MS)));
}

/** Every reminder_days after launch, until the deadline: each reviewer with open items, once per round. */
export async function remindCampaign(deps: Deps, c: ReviewCampaign): Promise<number> {
  const review = deps.config.review;
  if (!review) return 0;
  const now = deps.clock.now().getTime();
  // Past the deadline, escalation takes over from reminders.
  if (now >= Date.parse(c.dueAt)) return 0;
  const round = reminderRound(c, now, review.reminder_days);
  if (round < 1) return 0;
  const roundAt = Date.parse(c.launchedAt ?? c.createdAt) + round * review.reminder_days * DAY_MS;
  if (c.remindedAt && Date.parse(c.remindedAt) >= roundAt) return 0;
  const waiting = (await deps.store.reviews.progress(c.id))
    .filter((p) => p.reviewer && p.decided < p.total)
    .map((p) => p.reviewer);
  // The round is marked before the DMs go: a crash mid-round loses some reminders, it never repeats them.
  await deps.store.reviews.updateCampaign(c.id, { remindedAt: new Date(now).toISOString() });
  const failed = await dmReviewers(deps, c, waiting, 'reminder');
  deps.logger.info({ campaign: c.id, round, reviewers: waiting.length, failed }, 'review: reminders sent');
  return waiting.length;
}

/**
 * At the deadline: every undecided item goes to a fallback reviewer (one who already holds it keeps it),
 * never to its owner; those reviewers are DMed.
 */
export async function escalateCampaign(deps: Deps, c: ReviewCampaign): Promise<number> {
  const store = deps.store.reviews;
  const fallbacks = await fallbackReviewers(deps);
  const turn = rotation(fallbacks);
  const open = await store.items(c.id, { open: true });
  const lookup = emailCache(
    deps,
    open.filter((i) => !i.ownerSlackId && !i.principal.slackUserId).map((i) => i.principal.email),
  );
  const assignments: Assignment[] = [];
  let stuck = 0;
  for (const item of open) {
    // An item left unassigned at launch has no owner recorded: found again, never handed to its owner.
    const owner = item.ownerSlackId ?? item.principal.slackUserId ?? (await lookup(item.principal.email));
    const current = item.reviewer;
    const to =
      current && fallbacks.includes(current) && current !== owner
        ? current
        : pickFallback(fallbacks, owner, turn(item));
    if (!to) stuck++;
    else assignments.push({ itemId: item.id, reviewer: to, source: 'escalated' });
  }
  const changed = await assignInChunks(deps, assignments);
  const escalatedAt = deps.clock.now().toISOString();
  await store.updateCampaign(c.id, { escalatedAt });
  const escalated: ReviewCampaign = { ...c, escalatedAt };
  const reviewers = new Set(assignments.map((a) => a.reviewer));
  const dmsFailed = await dmReviewers(deps, escalated, reviewers, 'escalated');
  if (stuck)
    deps.logger.warn(
      { campaign: c.id, stuck },
      'review: overdue items with no fallback reviewer who is not their owner',
    );
  await auditCampaign(deps, 'review.escalate', escalated, {
    count: changed,
    reviewers: reviewers.size,
    withoutFallback: stuck,
    dmsFailed,
  });
  await updateProgressNow(deps, c.id);
  return changed;
}

export type TickStep = 'launched' | 'reminded' | 'escalated' | 'closed' | 'none' | 'failed';

/** One open campaign's due step: close, escalate or remind (at most one per tick). */
async function advance(deps: Deps, c: ReviewCampaign, jira: JiraFactory): Promise<TickStep> {
  const review = deps.config.review;
  if (!review) return 'none';
  const now = deps.clock.now().getTime();
  const due = Date.parse(c.dueAt);
  const progress = await deps.store.reviews.progress(c.id);
  const total = progress.reduce((n, p) => n + p.total, 0);
  const decided = progress.reduce((n, p) => n + p.decided, 0);
  const closeBy = due + review.escalation_days * DAY_MS;
  if (decided === total) {
    // A revocation still awaiting its approval would show in the report as pending: the campaign waits for
    // it to end (done, failed, denied, expired), but never past the close deadline.
    const pending = (await deps.store.reviews.items(c.id)).some((i) => i.revocation?.status === 'requested');
    if (!pending) return (await closeCampaign(deps, c, 'all-decided', jira)) ? 'closed' : 'none';
    if (now < closeBy) return 'none';
  }
  if (now >= closeBy) return (await closeCampaign(deps, c, 'due', jira)) ? 'closed' : 'none';
  if (now >= due) {
    if (c.escalatedAt) return 'none';
    await escalateCampaign(deps, c);
    return 'escalated';
  }
  const reminded = await remindCampaign(deps, c);
  // Every tick brings the channel message up to date: a throttled update lost with a restarting replica
  // would otherwise show stale numbers until the next decision.
  await updateProgressNow(deps, c.id);
  return reminded > 0 ? 'reminded' : 'none';
}

/**
 * The tick: launches `created` campaigns, advances `open` ones, finishes `closing` ones left by a crash.
 * A campaign's failure is logged and does not stop the others. Nothing without `review` configured.
 */
export async function reviewTick(
  deps: Deps,
  jira: JiraFactory = defaultJira,
): Promise<Record<string, TickStep>> {
  const out: Record<string, TickStep> = {};
  if (!deps.config.review) return out;
  const campaigns = await deps.store.reviews.listCampaigns({ status: ['created', 'open', 'closing'] });
  for (const c of campaigns.reverse()) {
    try {
      if (c.status === 'created')
        out[c.id] = (await launchCampaign(deps, c.id)).launched ? 'launched' : 'none';
      else if (c.status === 'open') out[c.id] = await advance(deps, c, jira);
      else out[c.id] = (await finishClose(deps, c.id, jira)) ? 'closed' : 'none';
    } catch (err) {
      out[c.id] = 'failed';
      deps.logger.error(
        { campaign: c.id, status: c.status, err: errorMessage(err) },
        'review: campaign step failed; retried at the next tick',
      );
    }
  }
  return out;
}

/**
 * Starts a campaign (the scan, through core) and launches it at once. A launch that fails leaves the
 * campaign `created` for the next tick to launch: the error is returned, not thrown.
 */
export async function startAndLaunch(
  deps: Deps,
  opts: StartCampaignOptions,
): Promise<{ started: StartedCampaign; launch: LaunchOutcome | { error: string } }> {
  const started = await deps.core.reviews.start(deps.store.reviews, opts);
  try {
    return { started, launch: await launchCampaign(deps, started.campaign.id) };
  } catch (err) {
    deps.logger.warn(
      { campaign: started.campaign.id, err: errorMessage(err) },
      'review: launch failed; the next tick retries it',
    );
    return { started, launch: { error: errorMessage(err) } };
  }
}

/** `/aws-user review status`: each campaign not yet closed, newest first, with its progress. */
export async function reviewStatusText(deps: Deps): Promise<string> {
  const campaigns = await deps.store.reviews.listCampaigns({
    status: ['created', 'open', 'closing'],
    limit: 10,
  });
  if (!campaigns.length) return 'No access review is open. Start one with `/aws-user review start` (admins).';
  const lines = await Promise.all(
    campaigns.map(async (c) => {
      const progress = await deps.store.reviews.progress(c.id);
      const t = reviewTotals(progress);
      const pct = t.total ? Math.floor((t.decided * 100) / t.total) : 100;
      const waiting = progress.filter((p) => p.reviewer && p.decided < p.total).length;
      return `• *${escapeText(c.name)}* (\`${c.id}\`, ${c.status}${c.escalatedAt ? ', overdue' : ''}): ${t.decided}/${t.total} decided (${pct}%), ${t.kept} kept, ${t.revoked} revoked; ${waiting} reviewer(s) with open items${t.unassigned && c.status !== 'created' ? `, ${t.unassigned} item(s) without a reviewer` : ''}; due ${slackDate(c.dueAt)}${c.message ? ` · <#${c.message.channel}>` : ''}`;
    }),
  );
  return `*Access reviews not yet closed*\n${lines.join('\n')}`;
}
