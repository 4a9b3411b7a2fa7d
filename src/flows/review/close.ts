import type { ReviewCampaign, ReviewStore } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { createCampaignTicket } from '../../integrations/jira.js';
import { defaultJira, type JiraFactory } from '../digest.js';
import { updateProgressNow } from './progress.js';

/**
 * Closing a campaign: one replica wins open → closing, writes the auditor's report (CSV and JSON in the
 * review channel, one Jira ticket when configured), then closing → closed with where the report went. A
 * campaign found `closing` (a crash mid-close) is finished by the next tick; each step already done (files
 * uploaded, ticket filed) is recorded on the campaign and not done twice.
 */

export type CloseReason = 'all-decided' | 'due';

/** Closes being finished on this replica, per store: a concurrent tick must not finish the same one twice. */
const finishing = new WeakMap<ReviewStore, Set<string>>();

/** A campaign step's audit event, by the review job's system actor; a failure to audit is logged. */
export async function auditCampaign(
  deps: Deps,
  action: string,
  campaign: Pick<ReviewCampaign, 'id'>,
  details: Record<string, unknown>,
): Promise<void> {
  await deps.core
    .audit({
      actor: 'system:access-review',
      action,
      account: 'review',
      target: campaign.id,
      outcome: 'success',
      requestId: campaign.id,
      details,
    })
    .catch((err: unknown) =>
      deps.logger.warn({ campaign: campaign.id, action, err: errorMessage(err) }, 'review: not audited'),
    );
}

export function reviewChannel(deps: Deps): string | undefined {
  return deps.config.review?.channel ?? deps.config.slack.approvals_channel;
}

/** CAS open → closing, then the report; false when another caller closed it first. */
export async function closeCampaign(
  deps: Deps,
  campaign: ReviewCampaign,
  reason: CloseReason,
  jiraFactory: JiraFactory = defaultJira,
): Promise<boolean> {
  const won = await deps.store.reviews.transitionCampaign(campaign.id, 'open', 'closing', {
    closedReason: reason,
  });
  if (!won) return false;
  return finishClose(deps, campaign.id, jiraFactory);
}

export async function finishClose(
  deps: Deps,
  campaignId: string,
  jiraFactory: JiraFactory = defaultJira,
): Promise<boolean> {
  let busy = finishing.get(deps.store.reviews);
  if (!busy) {
    busy = new Set();
    finishing.set(deps.store.reviews, busy);
  }
  if (busy.has(campaignId)) return false;
  busy.add(campaignId);
  try {
    return await finish(deps, campaignId, jiraFactory);
  } finally {
    busy.delete(campaignId);
  }
}

async function finish(deps: Deps, campaignId: string, jiraFactory: JiraFactory): Promise<boolean> {
  const store = deps.store.reviews;
  const c = await store.getCampaign(campaignId);
  if (c?.status !== 'closing') return false;
  const log = deps.logger.child({ campaign: c.id });
  const closedAt = deps.clock.now().toISOString();
  const closedReason = c.closedReason ?? 'due';
  const final: ReviewCampaign = { ...c, status: 'closed', closedAt, closedReason };
  const items = await store.items(c.id);
  const { csv, json } = deps.core.reviews.report(final, items);
  const s = json.summary;
  const channel = c.report?.channel ?? reviewChannel(deps);
  const report: NonNullable<ReviewCampaign['report']> = { ...c.report, ...(channel ? { channel } : {}) };
  const outcome = `${s.decided} of ${s.items} decided: ${s.kept} kept (${s.keptUnused} unused, each with its comment), ${s.revoked} revoked, ${s.undecided} undecided. Revocations: ${s.revocations.done} done, ${s.revocations.failed} failed, ${s.revocations.requested} pending.`;
  const reasonText = closedReason === 'all-decided' ? 'every item decided' : 'deadline passed';

  let permalinks: string[] = [];
  if (!report.fileIds?.length) {
    if (channel) {
      const stamp = closedAt.slice(0, 10);
      const base = `access-review-${c.id}-${stamp}`;
      const up = (await deps.client.filesUploadV2({
        channel_id: channel,
        initial_comment: `Access review ${c.name} closed (${reasonText}). ${outcome}`,
        file_uploads: [
          { file: Buffer.from(csv), filename: `${base}.csv`, title: `${c.name} (CSV)` },
          {
            file: Buffer.from(JSON.stringify(json, null, 2)),
            filename: `${base}.json`,
            title: `${c.name} (JSON)`,
          },
        ],
      })) as unknown as { files?: { files?: { id?: string; permalink?: string }[] }[] };
      const files = (up.files ?? []).flatMap((f) => f.files ?? []);
      report.fileIds = files.map((f) => f.id).filter((id): id is string => Boolean(id));
      permalinks = files.map((f) => f.permalink).filter((p): p is string => Boolean(p));
      await store.updateCampaign(c.id, { report });
    } else
      log.warn(
        'review: neither review.channel nor slack.approvals_channel is set; the report is not posted (aws-user review export has it)',
      );
  }

  if (!report.jiraKey) {
    try {
      const jira = jiraFactory(deps);
      if (jira) {
        const where = report.fileIds?.length
          ? `The CSV and JSON report are in Slack channel ${channel} (files ${report.fileIds.join(', ')})${permalinks.length ? `: ${permalinks.join(' ')}` : ''}.`
          : 'The report was not posted to Slack; export it with: aws-user review export.';
        const t = await createCampaignTicket(jira.client, jira.jira, {
          campaignId: c.id,
          summary: `Access review ${c.name} closed: ${s.decided}/${s.items} decided, ${s.revoked} revoked`,
          paragraphs: [
            `Access review ${c.name} (${c.id}) closed at ${closedAt} (${reasonText}). Due ${c.dueAt}; started ${c.createdAt} by ${c.createdBy}.`,
            outcome,
            where,
            `Export again with: aws-user review export ${c.id}`,
          ],
        });
        report.jiraKey = t.key;
        await store.updateCampaign(c.id, { report });
      }
    } catch (err) {
      // The report in Slack is the evidence; a ticket that could not be filed is said in the log and the audit.
      log.warn({ err: errorMessage(err) }, 'review: Jira ticket for the closed campaign not created');
    }
  }

  const closed = await store.transitionCampaign(c.id, 'closing', 'closed', {
    closedAt,
    closedReason,
    report,
  });
  if (!closed) return false;
  await updateProgressNow(deps, c.id);
  await auditCampaign(deps, 'review.close', c, {
    reason: closedReason,
    items: s.items,
    decided: s.decided,
    kept: s.kept,
    revoked: s.revoked,
    undecided: s.undecided,
    revocations: s.revocations,
    files: report.fileIds?.length ?? 0,
    ...(report.jiraKey ? { jiraKey: report.jiraKey } : {}),
  });
  log.info({ reason: closedReason, items: s.items, decided: s.decided }, 'review: campaign closed');
  return true;
}
