import { grantRule } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { UnauthorizedError, ValidationError } from '../../errors.js';
import { resolveOwner } from '../../slack/dm.js';
import type { PendingRequest } from '../../store/types.js';
import { createRule, parseDuration, temporaryEnd } from './create.js';

/**
 * The checks an approved request passes before its first AWS call, whatever filed or approved it (a click, a
 * recovery, a replica on older code): the owner is known and approved nothing, the access needs no stricter
 * approval under today's config than the request got, and every value that can fail (a duration, a date)
 * is computed. A refusal here leaves AWS untouched.
 */
export async function preflight(deps: Deps, r: PendingRequest): Promise<void> {
  if (r.kind !== 'create' && r.kind !== 'grant') return;
  await checkOwner(deps, r);
  checkRule(deps, r);
  if (r.kind === 'create') checkDuration(deps, r);
}

/**
 * The request's owner as a Slack id: stored when it was filed; a request stored before owners were resolved at
 * filing is looked up by email. Undefined when nobody matches or Slack does not answer.
 */
export function requestOwner(deps: Deps, r: PendingRequest): Promise<string | undefined> {
  return resolveOwner(deps.client, r.target).catch(() => undefined);
}

async function checkOwner(deps: Deps, r: PendingRequest): Promise<void> {
  const owner = await requestOwner(deps, r);
  if (!owner)
    throw new UnauthorizedError(
      `the owner of \`${r.target.username}\` could not be resolved to a Slack user, so it cannot be shown that no approver is the owner; nothing was changed: file the request again with the owner picked`,
    );
  const self = r.approvals.find((a) => a.user === owner || a.user === r.requester);
  if (self)
    throw new UnauthorizedError(
      `refused: the request was approved by its own ${self.user === owner ? 'owner' : 'requester'} <@${self.user}>; nothing was changed: another approver must approve a new request`,
    );
}

function checkRule(deps: Deps, r: PendingRequest): void {
  const template = r.template ?? '';
  const rule =
    r.kind === 'grant' && r.grant
      ? grantRule(deps.config, template, r.grant)
      : createRule(deps, template, r.extraGroups);
  const got = r.approvals.length;
  if ((rule.adminOnly && !r.adminOnly) || rule.approvalsNeeded > Math.max(got, r.approvalsNeeded))
    throw new UnauthorizedError(
      `refused: under the current configuration this access needs ${rule.approvalsNeeded} approval(s)${rule.adminOnly ? ' from admins' : ''}, more than the request was filed with; nothing was changed: file it again`,
    );
}

function checkDuration(deps: Deps, r: PendingRequest): void {
  if (r.durationHours === undefined) return;
  const parsed = parseDuration(String(r.durationHours));
  let endsAt: string | undefined;
  if (!('error' in parsed)) endsAt = temporaryEnd(deps, r);
  if (!endsAt)
    throw new ValidationError(
      'duration',
      `${r.durationHours} hours is not one of the offered durations, so no end date can be set; nothing was changed`,
      'file the request again and choose a duration from the list',
    );
}
