import { changeRefusal } from '../core/review/rules.js';
import type {
  CampaignPatch,
  CampaignStatus,
  ItemChangeResult,
  Reassignment,
  ReviewCampaign,
  ReviewDecision,
  ReviewerProgress,
  ReviewerSource,
  ReviewItem,
  ReviewStore,
  Revocation,
} from '../core/review/types.js';

/** Access-review campaigns for unit tests; the same contract as SQLite and Redis (review-store.test.ts). */
export class MemoryReviewStore implements ReviewStore {
  private readonly campaigns = new Map<string, ReviewCampaign>();
  private readonly itemsById = new Map<string, ReviewItem>();
  private readonly byCampaign = new Map<string, string[]>();

  async createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<void> {
    const ids: string[] = [];
    for (const item of items) {
      this.itemsById.set(item.id, structuredClone(item));
      ids.push(item.id);
    }
    this.byCampaign.set(campaign.id, ids);
    this.campaigns.set(campaign.id, structuredClone(campaign));
  }

  async getCampaign(id: string): Promise<ReviewCampaign | undefined> {
    const c = this.campaigns.get(id);
    return c && structuredClone(c);
  }

  async listCampaigns(opts: { status?: readonly CampaignStatus[]; limit?: number } = {}) {
    return (
      [...this.campaigns.values()]
        .filter((c) => !opts.status || opts.status.includes(c.status))
        // Newest first; equal createdAt by id, descending, as SQLite and Redis order them.
        .sort(
          (a, b) =>
            Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
        )
        .slice(0, opts.limit ?? Number.POSITIVE_INFINITY)
        .map((c) => structuredClone(c))
    );
  }

  async transitionCampaign(
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    patch: Partial<ReviewCampaign> = {},
  ): Promise<boolean> {
    const c = this.campaigns.get(id);
    if (!c || c.status !== from) return false;
    this.campaigns.set(id, { ...c, ...structuredClone(patch), status: to });
    return true;
  }

  async updateCampaign(id: string, patch: CampaignPatch): Promise<void> {
    const c = this.campaigns.get(id);
    if (c) this.campaigns.set(id, { ...c, ...structuredClone(patch) });
  }

  async items(campaignId: string, opts: { reviewer?: string; open?: boolean } = {}): Promise<ReviewItem[]> {
    return (this.byCampaign.get(campaignId) ?? [])
      .map((id) => this.itemsById.get(id))
      .filter((i): i is ReviewItem => i !== undefined)
      .filter((i) => (!opts.reviewer || i.reviewer === opts.reviewer) && (!opts.open || !i.decision))
      .sort((a, b) => a.seq - b.seq)
      .map((i) => structuredClone(i));
  }

  async getItem(id: string): Promise<ReviewItem | undefined> {
    const i = this.itemsById.get(id);
    return i && structuredClone(i);
  }

  async assignReviewers(
    assignments: readonly {
      itemId: string;
      reviewer: string;
      source: ReviewerSource;
      ownerSlackId?: string;
    }[],
  ): Promise<number> {
    let changed = 0;
    for (const a of assignments) {
      const i = this.itemsById.get(a.itemId);
      if (!i || i.decision) continue;
      i.reviewer = a.reviewer;
      i.reviewerSource = a.source;
      if (a.ownerSlackId !== undefined) i.ownerSlackId = a.ownerSlackId;
      changed++;
    }
    return changed;
  }

  async decide(itemId: string, decision: ReviewDecision): Promise<ItemChangeResult> {
    const i = this.itemsById.get(itemId);
    const refusal = changeRefusal(i && this.campaigns.get(i.campaignId)?.status, i, decision.by);
    if (refusal || !i)
      return { ok: false, reason: refusal ?? 'missing', ...(i ? { item: structuredClone(i) } : {}) };
    i.decision = structuredClone(decision);
    return { ok: true, item: structuredClone(i) };
  }

  async reassign(itemId: string, r: Omit<Reassignment, 'from'>): Promise<ItemChangeResult> {
    const i = this.itemsById.get(itemId);
    let refusal = changeRefusal(i && this.campaigns.get(i.campaignId)?.status, i, r.by);
    if (!refusal && i?.ownerSlackId !== undefined && i.ownerSlackId === r.to) refusal = 'self';
    if (refusal || !i)
      return { ok: false, reason: refusal ?? 'missing', ...(i ? { item: structuredClone(i) } : {}) };
    i.reassignments = [...(i.reassignments ?? []), { ...r, from: i.reviewer ?? '' }];
    i.reviewer = r.to;
    i.reviewerSource = 'reassigned';
    return { ok: true, item: structuredClone(i) };
  }

  async setRevocation(itemId: string, revocation: Revocation): Promise<void> {
    const i = this.itemsById.get(itemId);
    if (i) i.revocation = structuredClone(revocation);
  }

  async progress(campaignId: string): Promise<ReviewerProgress[]> {
    const by = new Map<string, ReviewerProgress>();
    for (const i of await this.items(campaignId)) {
      const reviewer = i.reviewer ?? '';
      const p = by.get(reviewer) ?? { reviewer, total: 0, decided: 0, kept: 0, revoked: 0 };
      p.total++;
      if (i.decision) {
        p.decided++;
        if (i.decision.outcome === 'keep') p.kept++;
        else p.revoked++;
      }
      by.set(reviewer, p);
    }
    return [...by.values()].sort((a, b) => (a.reviewer < b.reviewer ? -1 : a.reviewer > b.reviewer ? 1 : 0));
  }
}
