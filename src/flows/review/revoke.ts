import { entitlementWords, type ReviewItem } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage } from '../../errors.js';
import { escapeText } from '../../views/escape.js';
import { failureLine } from '../requests/execute.js';
import { fileRequest, newRequest } from '../requests/file.js';
import { revocationLine } from '../requests/revoke.js';

/**
 * After `by` decided `revoke` on `item` (the store recorded it): files the revocation as an approval request
 * (kind 'revoke'), or runs it at once when review.revoke_without_approval is set and `by` is an approver.
 * Records the revocation on the item (setRevocation) and returns one line for the reviewer.
 *
 * The request follows the rules of any other: its requester (the reviewer) cannot approve it, nor can the
 * owner of the access (the owner is the request's target, which approve checks). One approval from any
 * approver: taking access away never needs a stricter approval than the access itself did.
 */
export async function requestRevocation(deps: Deps, item: ReviewItem, by: string): Promise<string> {
  const what = `${entitlementWords(item.entitlement)} of \`${item.principal.name}\` in ${item.accountName}`;
  if (deps.config.review?.revoke_without_approval && (await deps.roles.isApprover(by)))
    return revokeNow(deps, item, by);
  const owner = item.ownerSlackId ?? item.principal.slackUserId;
  const comment = item.decision?.comment ? `: ${item.decision.comment}` : '';
  const request = newRequest(deps, {
    kind: 'revoke',
    requester: by,
    target: {
      username: item.principal.name,
      ...(owner ? { slackUserId: owner } : {}),
      ...(item.principal.email ? { email: item.principal.email } : {}),
    },
    account: item.account,
    justification: `Access review ${item.campaignId}, item ${item.id}: the reviewer decided to revoke${comment}`,
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    review: {
      campaignId: item.campaignId,
      itemId: item.id,
      accountName: item.accountName,
      principal: { kind: item.principal.kind, name: item.principal.name },
      entitlement: { kind: item.entitlement.kind, name: item.entitlement.name },
    },
  });
  // Recorded before the request exists, so a quick approval's `done` is never overwritten by `requested`.
  await deps.store.reviews.setRevocation(item.id, {
    status: 'requested',
    requestId: request.id,
    at: deps.clock.now().toISOString(),
  });
  try {
    await fileRequest(deps, request, {
      review: item.campaignId,
      item: item.id,
      entitlement: item.entitlement.kind,
    });
  } catch (err) {
    const detail = `the revocation request could not be filed: ${errorMessage(err)}`;
    await deps.store.reviews.setRevocation(item.id, {
      status: 'failed',
      requestId: request.id,
      at: deps.clock.now().toISOString(),
      detail,
    });
    return `Revocation of ${escapeText(what)} NOT filed: ${escapeText(detail)}. Ask an admin to revoke it by hand.`;
  }
  const channel = deps.config.slack.approvals_channel;
  return `Revocation filed for approval: request \`${request.id}\` to revoke ${escapeText(what)}; another approver decides${channel ? ` in <#${channel}>` : ''}.`;
}

/** review.revoke_without_approval: the reviewer is an approver, so the revocation runs now, as them. */
async function revokeNow(deps: Deps, item: ReviewItem, by: string): Promise<string> {
  const at = () => deps.clock.now().toISOString();
  try {
    const out = await deps.core.reviews.revoke(
      { account: item.account, principal: item.principal, entitlement: item.entitlement },
      { actor: by, requestId: item.id },
    );
    const line = revocationLine(out, item.accountName);
    await deps.store.reviews.setRevocation(item.id, { status: 'done', at: at(), detail: line });
    return `Revoked at once: ${escapeText(line)}.`;
  } catch (err) {
    const failure = failureLine(err);
    deps.logger.warn({ err: failure, item: item.id }, 'review revocation failed');
    await deps.store.reviews.setRevocation(item.id, { status: 'failed', at: at(), detail: failure });
    return `Revocation failed: ${escapeText(failure)}. Ask an admin to look.`;
  }
}
