import type { Deps } from '../../deps.js';

/**
 * CONTRACT (owned by the lifecycle work): brings the campaign's channel message up to date with its
 * progress per reviewer (chat.update in place, throttled per campaign). Never throws.
 */
export async function refreshProgress(_deps: Deps, _campaignId: string): Promise<void> {}
