import type { Store } from '../store/types.js';

/** Longer than anyone keeps a create modal open; past it the picker just stops prefilling. */
export const OPENED_VIEW_TTL_MS = 3_600_000;

const key = (user: string, viewId: string) => `view:${user}:${viewId}`;

/**
 * Views the bot opened, per user, in the store (so any replica can check): a payload's `view.id` is only
 * trusted for views.update when the bot itself got that id back from views.open for the same user.
 */
export async function rememberOpenedView(store: Store, user: string, viewId: string): Promise<void> {
  await store.firstSeen(key(user, viewId), OPENED_VIEW_TTL_MS);
}

export function openedFor(store: Store, user: string, viewId: string): Promise<boolean> {
  return store.seen(key(user, viewId));
}
