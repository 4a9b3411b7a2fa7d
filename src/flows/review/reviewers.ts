import { personOf, type ReviewItem } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { emailDirectory, lookupByEmail, usergroupMembers } from '../../slack/users.js';

/**
 * Who reviews what: a person's manager (the `Manager` tag, found in Slack by email), else a fallback
 * reviewer, and never the person themself. A lookup that fails for any reason but "no such user" throws:
 * the launch is retried at the next tick rather than risk an owner unrecognised and handed their own access.
 */

export interface Assignment {
  itemId: string;
  reviewer: string;
  source: 'manager' | 'fallback' | 'escalated';
  ownerSlackId?: string;
}

export interface ResolvedReviewers {
  assignments: Assignment[];
  /** Items whose owner is every fallback reviewer (and who have no manager in Slack). */
  unassigned: ReviewItem[];
  byManager: number;
  byFallback: number;
}

/** review.fallback_reviewers as user ids, user groups (S…) expanded, order kept, duplicates dropped. */
export async function fallbackReviewers(deps: Deps): Promise<string[]> {
  const out: string[] = [];
  for (const id of deps.config.review?.fallback_reviewers ?? []) {
    const members = id.startsWith('S') ? await usergroupMembers(deps.client, id) : [id];
    for (const m of members) if (!out.includes(m)) out.push(m);
  }
  return out;
}

/** Past this many distinct addresses, one directory read (users.list) beats a lookup per address. */
export const DIRECTORY_AFTER = 40;

/**
 * Email → Slack id within one launch or escalation: one users.lookupByEmail per address for a few
 * addresses, or, for more than DIRECTORY_AFTER of them, the whole directory read once.
 */
export function emailCache(
  deps: Deps,
  emails: Iterable<string | undefined> = [],
): (email: string | undefined) => Promise<string | undefined> {
  const distinct = new Set<string>();
  for (const e of emails) if (e) distinct.add(e.trim().toLowerCase());
  if (distinct.size > DIRECTORY_AFTER) {
    let directory: Promise<Map<string, string>> | undefined;
    return async (email) => {
      if (!email) return undefined;
      directory ??= emailDirectory(deps.client);
      return (await directory).get(email.trim().toLowerCase());
    };
  }
  const cache = new Map<string, Promise<string | undefined>>();
  return (email) => {
    if (!email) return Promise.resolve(undefined);
    const key = email.trim().toLowerCase();
    let hit = cache.get(key);
    if (!hit) {
      hit = lookupByEmail(deps.client, key);
      cache.set(key, hit);
    }
    return hit;
  };
}

/** The fallback at `start` (rotating), or the next one after it who is not `owner`. */
export function pickFallback(fallbacks: readonly string[], owner: string | undefined, start: number) {
  for (let k = 0; k < fallbacks.length; k++) {
    const f = fallbacks[(start + k) % fallbacks.length] as string;
    if (f !== owner) return f;
  }
  return undefined;
}

/** Spreads people over the fallback reviewers in turn, in the snapshot's order. */
export function rotation(fallbacks: readonly string[]): (item: ReviewItem) => number {
  const seen = new Map<string, number>();
  return (item) => {
    const key = personOf(item);
    let n = seen.get(key);
    if (n === undefined) {
      n = seen.size % Math.max(fallbacks.length, 1);
      seen.set(key, n);
    }
    return n;
  };
}

export async function resolveReviewers(
  deps: Deps,
  items: readonly ReviewItem[],
  fallbacks: readonly string[],
): Promise<ResolvedReviewers> {
  const lookup = emailCache(
    deps,
    items.flatMap((i) => [i.principal.email, i.principal.managerEmail]),
  );
  const turn = rotation(fallbacks);
  const out: ResolvedReviewers = { assignments: [], unassigned: [], byManager: 0, byFallback: 0 };
  for (const item of items) {
    if (item.decision) continue;
    const p = item.principal;
    const owner = p.slackUserId ?? (await lookup(p.email)) ?? item.ownerSlackId;
    const manager = await lookup(p.managerEmail);
    const own = owner ? { ownerSlackId: owner } : {};
    if (manager && manager !== owner) {
      out.assignments.push({ itemId: item.id, reviewer: manager, source: 'manager', ...own });
      out.byManager++;
      continue;
    }
    const fallback = pickFallback(fallbacks, owner, turn(item));
    if (fallback) {
      out.assignments.push({ itemId: item.id, reviewer: fallback, source: 'fallback', ...own });
      out.byFallback++;
    } else out.unassigned.push(item);
  }
  return out;
}
