import type { PendingRequest } from '../store/types.js';
import { escapeText } from './escape.js';
import { clip } from './limits.js';

/** The words for a click that came too late: who acted, and when. */
export function closedText(r: PendingRequest): string {
  const at = r.decidedAt ? ` at ${r.decidedAt}` : '';
  switch (r.status) {
    case 'approving':
      return `Request \`${r.id}\` was already approved by <@${r.decidedBy}>${at} and is running.`;
    case 'done':
      return `Request \`${r.id}\` was already approved by <@${r.decidedBy}>${at}; it is done.`;
    case 'failed':
      return `Request \`${r.id}\` was approved by <@${r.decidedBy}>${at} and failed: ${clip(escapeText(r.outcome ?? 'unknown error'), 1000)}`;
    case 'denied':
      return `Request \`${r.id}\` was already denied by <@${r.decidedBy}>${at}.`;
    case 'expired':
      return `Request \`${r.id}\` expired${at}; ask for a new one with \`/aws-user create\`.`;
    default:
      return `Request \`${r.id}\` is ${r.status}.`;
  }
}
