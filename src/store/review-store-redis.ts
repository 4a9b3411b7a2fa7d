import type { Redis } from 'ioredis';
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
import { StoreUnavailableError } from '../errors.js';
import { LuaCommands } from './lua.js';

/** Commands per MULTI and keys per MGET: a 100,000-item campaign is never one giant transaction or reply. */
const CHUNK = 1_000;

const SCRIPTS = ['review-change', 'review-assign', 'review-campaign-set', 'review-revocation'] as const;

type Refusal = Extract<ItemChangeResult, { ok: false }>['reason'];

/** cjson writes an empty array as `{}`: put back the arrays a script may have re-encoded. */
function parseCampaign(raw: string): ReviewCampaign {
  const c = JSON.parse(raw) as ReviewCampaign;
  if (!Array.isArray(c.accounts)) c.accounts = [];
  if (c.report?.fileIds && !Array.isArray(c.report.fileIds)) c.report.fileIds = [];
  return c;
}

function parseItem(raw: string): ReviewItem {
  const i = JSON.parse(raw) as ReviewItem;
  if (i.reassignments && !Array.isArray(i.reassignments)) i.reassignments = [];
  return i;
}

/** Per reviewer (unassigned items under ""), sorted by reviewer, as every store reports it. */
function progressOf(items: readonly ReviewItem[]): ReviewerProgress[] {
  const by = new Map<string, ReviewerProgress>();
  for (const i of items) {
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

/**
 * Redis layout under `prefix`: `rev:c:<id>` each campaign (JSON); `rev:all` campaigns by createdAt;
 * `rev:i:<itemId>` each item (JSON); `rev:ci:<campaignId>` a campaign's item ids by seq;
 * `rev:cr:<campaignId>:<reviewer>` a reviewer's item ids by seq, kept right by the assign and reassign
 * scripts. Every change to a campaign or an item is one Lua script; the scripts build the campaign and
 * reviewer keys from the prefix and the item, so this store assumes a single Redis (not Cluster).
 */
export class RedisReviewStore implements ReviewStore {
  private readonly scripts: LuaCommands<(typeof SCRIPTS)[number]>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = new LuaCommands(redis, SCRIPTS);
  }

  private k(...parts: string[]): string {
    return `${this.prefix}rev:${parts.join(':')}`;
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(undefined, { cause: err });
    }
  }

  private script(name: (typeof SCRIPTS)[number], key: string, args: (string | number)[]): Promise<unknown> {
    const send = this.scripts.command(name, [key]);
    return this.wrap(() => send(args));
  }

  private async loadItems(ids: readonly string[]): Promise<ReviewItem[]> {
    const out: ReviewItem[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const raws = await this.wrap(() => this.redis.mget(chunk.map((id) => this.k('i', id))));
      for (const raw of raws) if (raw) out.push(parseItem(raw));
    }
    return out;
  }

  /** The items in MULTI chunks, then the campaign and its place in `rev:all` in one last MULTI. */
  async createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<void> {
    for (let from = 0; from < items.length; from += CHUNK) {
      const multi = this.redis.multi();
      for (const i of items.slice(from, from + CHUNK)) {
        multi.set(this.k('i', i.id), JSON.stringify(i));
        multi.zadd(this.k('ci', i.campaignId), i.seq, i.id);
        if (i.reviewer !== undefined) multi.zadd(this.k('cr', i.campaignId, i.reviewer), i.seq, i.id);
      }
      await this.wrap(() => multi.exec());
    }
    await this.wrap(() =>
      this.redis
        .multi()
        .set(this.k('c', campaign.id), JSON.stringify(campaign))
        .zadd(this.k('all'), Date.parse(campaign.createdAt), campaign.id)
        .exec(),
    );
  }

  async getCampaign(id: string): Promise<ReviewCampaign | undefined> {
    const raw = await this.wrap(() => this.redis.get(this.k('c', id)));
    return raw ? parseCampaign(raw) : undefined;
  }

  /** Newest first; equal createdAt by id, descending (the member order of ZREVRANGE), as in SQLite. */
  async listCampaigns(
    opts: { status?: readonly CampaignStatus[]; limit?: number } = {},
  ): Promise<ReviewCampaign[]> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const out: ReviewCampaign[] = [];
    for (let offset = 0; out.length < limit; offset += 100) {
      const ids = await this.wrap(() => this.redis.zrevrange(this.k('all'), offset, offset + 99));
      if (ids.length === 0) break;
      const raws = await this.wrap(() => this.redis.mget(ids.map((id) => this.k('c', id))));
      for (const raw of raws) {
        if (!raw) continue;
        const c = parseCampaign(raw);
        if (!opts.status || opts.status.includes(c.status)) out.push(c);
        if (out.length === limit) break;
      }
    }
    return out;
  }

  private async setCampaign(id: string, from: string, to: string, patch: object): Promise<boolean> {
    // An explicit undefined in the patch clears the field, as a spread does in the other stores.
    const json = JSON.stringify(patch, (_k, v) => (v === undefined ? null : v));
    return (await this.script('review-campaign-set', this.k('c', id), [from, to, json])) === 1;
  }

  async transitionCampaign(
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    patch: Partial<ReviewCampaign> = {},
  ): Promise<boolean> {
    return this.setCampaign(id, from, to, patch);
  }

  async updateCampaign(id: string, patch: CampaignPatch): Promise<void> {
    await this.setCampaign(id, '', '', patch);
  }

  async items(campaignId: string, opts: { reviewer?: string; open?: boolean } = {}): Promise<ReviewItem[]> {
    // The reviewer's index is the truth (the scripts move an item between indexes as they reassign it), and
    // both indexes are scored by seq, so the items come back in order.
    const index = opts.reviewer ? this.k('cr', campaignId, opts.reviewer) : this.k('ci', campaignId);
    const ids = await this.wrap(() => this.redis.zrange(index, 0, -1));
    return (await this.loadItems(ids)).filter((i) => !opts.open || !i.decision);
  }

  async getItem(id: string): Promise<ReviewItem | undefined> {
    const raw = await this.wrap(() => this.redis.get(this.k('i', id)));
    return raw ? parseItem(raw) : undefined;
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
    // A chunk's scripts are sent together without waiting on each other's replies; each is atomic alone.
    for (let from = 0; from < assignments.length; from += CHUNK) {
      const results = await Promise.all(
        assignments
          .slice(from, from + CHUNK)
          .map((a) =>
            this.script('review-assign', this.k('i', a.itemId), [
              this.k(''),
              a.reviewer,
              a.source,
              a.ownerSlackId === undefined ? '0' : '1',
              a.ownerSlackId ?? '',
            ]),
          ),
      );
      changed += results.filter((r) => r === 1).length;
    }
    return changed;
  }

  private async change(
    itemId: string,
    op: 'decide' | 'reassign',
    by: string,
    payload: object,
  ): Promise<ItemChangeResult> {
    const [result, raw] = (await this.script('review-change', this.k('i', itemId), [
      this.k(''),
      op,
      by,
      JSON.stringify(payload),
    ])) as [string, string | undefined];
    const item = raw === undefined ? undefined : parseItem(raw);
    if (result === 'ok' && item) return { ok: true, item };
    return { ok: false, reason: result as Refusal, ...(item ? { item } : {}) };
  }

  async decide(itemId: string, decision: ReviewDecision): Promise<ItemChangeResult> {
    return this.change(itemId, 'decide', decision.by, decision);
  }

  async reassign(itemId: string, r: Omit<Reassignment, 'from'>): Promise<ItemChangeResult> {
    return this.change(itemId, 'reassign', r.by, r);
  }

  async setRevocation(itemId: string, revocation: Revocation): Promise<void> {
    await this.script('review-revocation', this.k('i', itemId), [JSON.stringify(revocation)]);
  }

  async progress(campaignId: string): Promise<ReviewerProgress[]> {
    return progressOf(await this.items(campaignId));
  }
}
