import { type Clock, systemClock } from '../core/clock.js';
import type { Grant, GrantMessage } from '../core/grants.js';
import { ConflictError } from '../errors.js';
import { type GrantStore, matches, NOTIFY_BEFORE_MS, withMessages } from './grant-store.js';

/** Single-process GrantStore with the same semantics as Redis; JS runs each method without interleaving. */
export class MemoryGrantStore implements GrantStore {
  private readonly grants = new Map<string, Grant>();
  private readonly due = new Map<string, number>();
  private readonly notify = new Map<string, number>();
  private readonly allowances = new Map<string, { n: number; until: number }>();

  constructor(private readonly clock: Clock = systemClock) {}

  async upsert(grant: Grant): Promise<Grant> {
    const old = this.grants.get(grant.id);
    let merged: Grant = { ...grant, status: 'active', approvers: [...grant.approvers] };
    if (old?.status === 'revoking')
      throw new ConflictError('that grant is being revoked right now; request it again in a moment');
    if (old?.status === 'active') {
      const later = Date.parse(old.expiresAt) > Date.parse(grant.expiresAt) ? old.expiresAt : grant.expiresAt;
      merged = {
        ...merged,
        expiresAt: later,
        createdAt: old.createdAt,
        approvers: [...new Set([...old.approvers, ...grant.approvers])],
        breakGlass: old.breakGlass || grant.breakGlass,
      };
      if (old.messages) merged = withMessages({ ...merged, messages: old.messages }, grant.messages ?? []);
    }
    this.grants.set(grant.id, merged);
    const exp = Date.parse(merged.expiresAt);
    this.due.set(grant.id, exp);
    this.notify.set(grant.id, exp - NOTIFY_BEFORE_MS);
    return structuredClone(merged);
  }

  async get(id: string): Promise<Grant | undefined> {
    const g = this.grants.get(id);
    return g ? structuredClone(g) : undefined;
  }

  async listActive(filter?: {
    account?: string;
    username?: string;
    ownerSlackId?: string;
  }): Promise<Grant[]> {
    return [...this.due.keys()]
      .map((id) => this.grants.get(id))
      .filter((g): g is Grant => g?.status === 'active' && matches(g, filter))
      .map((g) => structuredClone(g));
  }

  private claim(id: string): Grant | undefined {
    if (!this.due.delete(id)) return undefined;
    this.notify.delete(id);
    const g = this.grants.get(id);
    if (!g) return undefined;
    g.status = 'revoking';
    return structuredClone(g);
  }

  async claimDue(now: Date, limit: number): Promise<Grant[]> {
    const ids = [...this.due.entries()]
      .filter(([, t]) => t <= now.getTime())
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
    return ids.map((id) => this.claim(id)).filter((g): g is Grant => g !== undefined);
  }

  async claimNow(id: string): Promise<Grant | undefined> {
    return this.claim(id);
  }

  async claimNotices(now: Date, limit: number): Promise<Grant[]> {
    const ids = [...this.notify.entries()]
      .filter(([, t]) => t <= now.getTime())
      .slice(0, limit)
      .map(([id]) => id);
    const out: Grant[] = [];
    for (const id of ids) {
      this.notify.delete(id);
      const g = this.grants.get(id);
      if (g) out.push(structuredClone(g));
    }
    return out;
  }

  async complete(grant: Grant, revokedBy: string, at: Date): Promise<void> {
    this.grants.set(grant.id, { ...grant, status: 'revoked', revokedBy, revokedAt: at.toISOString() });
  }

  async release(grant: Grant, retryAt: Date): Promise<void> {
    this.grants.set(grant.id, { ...grant, status: 'active' });
    this.due.set(grant.id, retryAt.getTime());
  }

  async recordMessages(id: string, messages: GrantMessage[]): Promise<void> {
    const g = this.grants.get(id);
    if (g) this.grants.set(id, withMessages(g, messages));
  }

  async takeAllowance(key: string, limit: number, windowSeconds: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    const cur = this.allowances.get(key);
    const entry = cur && cur.until > now ? cur : { n: 0, until: now + windowSeconds * 1000 };
    if (entry.n >= limit) return false;
    entry.n++;
    this.allowances.set(key, entry);
    return true;
  }
}
