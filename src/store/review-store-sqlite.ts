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
import type { SqliteAccess } from './grant-store-sqlite.js';

type Row = { body: string };
/** Items per write transaction: a 100,000-item campaign never holds the write lock (or the event loop) long. */
const CHUNK = 2_000;

const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Access-review campaigns in the `review_campaigns` and `review_items` tables (migration 005). Every
 * decision, reassignment and status change is one IMMEDIATE transaction that reads the campaign's status and
 * the item and applies changeRefusal (core/review/rules.ts), so two clicks on two connections record one
 * decision.
 */
export class SqliteReviewStore implements ReviewStore {
  constructor(private readonly db: SqliteAccess) {}

  private loadItem(id: string): ReviewItem | undefined {
    const row = this.db.sql('SELECT body FROM review_items WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.body) as ReviewItem) : undefined;
  }

  private saveItem(i: ReviewItem): void {
    this.db
      .sql('UPDATE review_items SET reviewer = ?, decided = ?, body = ? WHERE id = ?')
      .run(i.reviewer ?? null, i.decision ? 1 : 0, JSON.stringify(i), i.id);
  }

  private loadCampaign(id: string): ReviewCampaign | undefined {
    const row = this.db.sql('SELECT body FROM review_campaigns WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.body) as ReviewCampaign) : undefined;
  }

  private saveCampaign(c: ReviewCampaign): void {
    this.db
      .sql('UPDATE review_campaigns SET status = ?, body = ? WHERE id = ?')
      .run(c.status, JSON.stringify(c), c.id);
  }

  private statusOf(campaignId: string): CampaignStatus | undefined {
    const row = this.db.sql('SELECT status FROM review_campaigns WHERE id = ?').get(campaignId) as
      | { status: CampaignStatus }
      | undefined;
    return row?.status;
  }

  /** The items in chunks of CHUNK, one transaction each, yielding between them; the campaign row last. */
  async createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<void> {
    const insert = this.db.sql(
      `INSERT OR REPLACE INTO review_items (id, campaign_id, seq, reviewer, decided, body)
         VALUES (?, ?, ?, ?, ?, ?)`,
    );
    for (let from = 0; from < items.length; from += CHUNK) {
      if (from > 0) await yieldToEventLoop();
      this.db.run(() => {
        for (const i of items.slice(from, from + CHUNK))
          insert.run(i.id, i.campaignId, i.seq, i.reviewer ?? null, i.decision ? 1 : 0, JSON.stringify(i));
      });
    }
    this.db.run(() =>
      this.db
        .sql('INSERT OR REPLACE INTO review_campaigns (id, status, created_ms, body) VALUES (?, ?, ?, ?)')
        .run(campaign.id, campaign.status, Date.parse(campaign.createdAt), JSON.stringify(campaign)),
    );
  }

  async getCampaign(id: string): Promise<ReviewCampaign | undefined> {
    return this.db.read(() => this.loadCampaign(id));
  }

  async listCampaigns(
    opts: { status?: readonly CampaignStatus[]; limit?: number } = {},
  ): Promise<ReviewCampaign[]> {
    const rows = this.db.read(
      () =>
        this.db.sql('SELECT status, body FROM review_campaigns ORDER BY created_ms DESC, id DESC').all() as {
          status: CampaignStatus;
          body: string;
        }[],
    );
    return rows
      .filter((r) => !opts.status || opts.status.includes(r.status))
      .slice(0, opts.limit ?? Number.POSITIVE_INFINITY)
      .map((r) => JSON.parse(r.body) as ReviewCampaign);
  }

  async transitionCampaign(
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    patch: Partial<ReviewCampaign> = {},
  ): Promise<boolean> {
    return this.db.run(() => {
      const c = this.loadCampaign(id);
      if (!c || c.status !== from) return false;
      this.saveCampaign({ ...c, ...patch, status: to });
      return true;
    });
  }

  async updateCampaign(id: string, patch: CampaignPatch): Promise<void> {
    this.db.run(() => {
      const c = this.loadCampaign(id);
      if (c) this.saveCampaign({ ...c, ...patch, status: c.status });
    });
  }

  async items(campaignId: string, opts: { reviewer?: string; open?: boolean } = {}): Promise<ReviewItem[]> {
    const rows = this.db.read(
      () =>
        this.db
          .sql(
            `SELECT body FROM review_items
               WHERE campaign_id = ? AND (? IS NULL OR reviewer = ?) AND (? = 0 OR decided = 0)
               ORDER BY seq`,
          )
          .all(campaignId, opts.reviewer || null, opts.reviewer || null, opts.open ? 1 : 0) as Row[],
    );
    return rows.map((r) => JSON.parse(r.body) as ReviewItem);
  }

  async getItem(id: string): Promise<ReviewItem | undefined> {
    return this.db.read(() => this.loadItem(id));
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
    for (let from = 0; from < assignments.length; from += CHUNK) {
      if (from > 0) await yieldToEventLoop();
      changed += this.db.run(() => {
        let n = 0;
        for (const a of assignments.slice(from, from + CHUNK)) {
          const i = this.loadItem(a.itemId);
          if (!i || i.decision) continue;
          i.reviewer = a.reviewer;
          i.reviewerSource = a.source;
          if (a.ownerSlackId !== undefined) i.ownerSlackId = a.ownerSlackId;
          this.saveItem(i);
          n++;
        }
        return n;
      });
    }
    return changed;
  }

  /** Reads status and item, applies the rule and writes, all under the write lock. */
  private change(itemId: string, by: string, apply: (i: ReviewItem) => 'self' | undefined): ItemChangeResult {
    return this.db.run(() => {
      const i = this.loadItem(itemId);
      const refusal = changeRefusal(i && this.statusOf(i.campaignId), i, by) ?? (i && apply(i));
      if (refusal || !i) return { ok: false, reason: refusal ?? 'missing', ...(i ? { item: i } : {}) };
      this.saveItem(i);
      return { ok: true, item: i };
    });
  }

  async decide(itemId: string, decision: ReviewDecision): Promise<ItemChangeResult> {
    return this.change(itemId, decision.by, (i) => {
      i.decision = decision;
      return undefined;
    });
  }

  async reassign(itemId: string, r: Omit<Reassignment, 'from'>): Promise<ItemChangeResult> {
    return this.change(itemId, r.by, (i) => {
      if (i.ownerSlackId !== undefined && i.ownerSlackId === r.to) return 'self';
      i.reassignments = [...(i.reassignments ?? []), { ...r, from: i.reviewer ?? '' }];
      i.reviewer = r.to;
      i.reviewerSource = 'reassigned';
      return undefined;
    });
  }

  async setRevocation(itemId: string, revocation: Revocation): Promise<void> {
    this.db.run(() => {
      const i = this.loadItem(itemId);
      if (i) this.saveItem({ ...i, revocation });
    });
  }

  async progress(campaignId: string): Promise<ReviewerProgress[]> {
    return this.db.read(
      () =>
        this.db
          .sql(
            `SELECT coalesce(reviewer, '') AS reviewer, count(*) AS total, sum(decided) AS decided,
                 count(CASE json_extract(body, '$.decision.outcome') WHEN 'keep' THEN 1 END) AS kept,
                 count(CASE json_extract(body, '$.decision.outcome') WHEN 'revoke' THEN 1 END) AS revoked
               FROM review_items WHERE campaign_id = ? GROUP BY 1 ORDER BY 1`,
          )
          .all(campaignId) as ReviewerProgress[],
    );
  }
}
