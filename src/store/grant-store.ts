import type { Grant, GrantMessage } from '../core/grants.js';

/**
 * Where time-bound grants live until revoked. Never in-process timers: a restart or another replica must
 * see every pending expiry. Every `claim*` hands each grant to exactly one caller, however many replicas ask.
 */
export interface GrantStore {
  /** Creates or merges (later expiry wins, approvers united). Throws ConflictError while it is being revoked. */
  upsert(grant: Grant): Promise<Grant>;
  get(id: string): Promise<Grant | undefined>;
  /** Active grants, optionally for one IAM user or one Slack owner. */
  listActive(filter?: { account?: string; username?: string; ownerSlackId?: string }): Promise<Grant[]>;
  /** Grants whose expiry has passed, now 'revoking'. */
  claimDue(now: Date, limit: number): Promise<Grant[]>;
  /** One active grant for an immediate revoke; undefined when someone else has it or it is gone. */
  claimNow(id: string): Promise<Grant | undefined>;
  /** Grants whose pre-expiry notice is due. */
  claimNotices(now: Date, limit: number): Promise<Grant[]>;
  /** Revoked: kept (with a TTL) for the audit view and App Home history. */
  complete(grant: Grant, revokedBy: string, at: Date): Promise<void>;
  /** The revoke failed: back to active, retried at `retryAt`. */
  release(grant: Grant, retryAt: Date): Promise<void>;
  /**
   * Adds where the bot posted about a grant (newest kept, at most MAX_GRANT_MESSAGES), whatever its status,
   * without touching anything else on the record; a no-op when the grant is gone.
   */
  recordMessages(id: string, messages: GrantMessage[]): Promise<void>;
  /** Takes one unit of a per-window allowance; false when the limit is reached. */
  takeAllowance(key: string, limit: number, windowSeconds: number): Promise<boolean>;
}

export const NOTIFY_BEFORE_MS = 15 * 60_000;
export const REVOKED_RETENTION_SECONDS = 30 * 86_400;
/** A break-glass broadcast goes to the channel and every admin; extensions add one DM each. */
export const MAX_GRANT_MESSAGES = 50;

/** The record's messages plus `more`, the newest MAX_GRANT_MESSAGES. */
export function withMessages(g: Grant, more: readonly GrantMessage[]): Grant {
  const all = [...(g.messages ?? []), ...more.map((m) => ({ channel: m.channel, ts: m.ts }))];
  return { ...g, messages: all.slice(-MAX_GRANT_MESSAGES) };
}

/** cjson turns an empty array into {}; normalise what comes back from Lua. */
export function parseGrant(json: string): Grant {
  const g = JSON.parse(json) as Grant;
  if (!Array.isArray(g.approvers)) g.approvers = [];
  return g;
}

export function matches(
  g: Grant,
  filter: { account?: string; username?: string; ownerSlackId?: string } = {},
): boolean {
  return (
    (!filter.account || g.account === filter.account) &&
    (!filter.username || g.username === filter.username) &&
    (!filter.ownerSlackId || g.ownerSlackId === filter.ownerSlackId)
  );
}
