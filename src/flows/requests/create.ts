import { randomUUID } from 'node:crypto';
import { type Actor, EMAIL_RE, GROUP_RE, USERNAME_RE } from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { ConflictError, errorMessage, ValidationError } from '../../errors.js';
import { resolveOwner } from '../../slack/dm.js';
import { withTimeout } from '../../slack/timeout.js';
import { userInfo } from '../../slack/users.js';
import type { PendingRequest } from '../../store/types.js';
import { CREATE_BLOCKS } from '../../views/create-modal.js';
import { newRequest } from './file.js';
import { deliverPassword, deliveryLine, resetHint } from './password.js';

/** What core's createUser gets for a request: also what recovery compares an existing user against. */
export function createInput(r: PendingRequest, ownerSlackId: string | undefined) {
  return {
    username: r.target.username,
    email: r.target.email ?? '',
    ...(ownerSlackId ? { slackUserId: ownerSlackId } : {}),
    account: r.account,
    template: r.template ?? '',
    extraGroups: r.extraGroups,
  };
}

/** A temporary user's end: counted from the approval, so a recovered run ends when the approved one would have. */
export async function recordTemporaryUser(
  deps: Deps,
  r: PendingRequest,
  username: string,
  ownerSlackId: string | undefined,
): Promise<string> {
  const from = Date.parse(r.decidedAt ?? '') || deps.clock.now().getTime();
  const endsAt = new Date(from + (r.durationHours ?? 0) * 3_600_000).toISOString();
  await deps.store.putTemporaryUser({
    id: r.id,
    account: r.account,
    username,
    ...(ownerSlackId ? { owner: ownerSlackId } : {}),
    requester: r.requester,
    endsAt,
  });
  return `; temporary: access is removed at ${endsAt}`;
}

/**
 * An approved create: the user through core (with rollback), the temporary-user record when it has a
 * duration, and the initial password by DM to the owner only (reset when the DM fails, so no password
 * stands that nobody holds). Returns the secret-free outcome line.
 */
export async function runCreate(deps: Deps, r: PendingRequest, who: Actor): Promise<string> {
  const ownerSlackId = await resolveOwner(deps.client, r.target).catch(() => undefined);
  const result = await deps.core.createUser(createInput(r, ownerSlackId), who);
  let line =
    result.status === 'unchanged'
      ? `\`${result.username}\` already existed as requested; nothing changed`
      : `created \`${result.username}\`${result.arn ? ` (${result.arn})` : ''}`;
  if (r.durationHours && result.status === 'created')
    line += await recordTemporaryUser(deps, r, result.username, ownerSlackId);
  if (!result.password) return line;
  const target = { account: result.account, username: result.username };
  if (!ownerSlackId) {
    // Nobody to send it to: the generated password must not stand either.
    const reset = await deps.core.resetPassword(target, who).then(
      () => 'it was reset, so nobody holds it',
      (err: unknown) => `resetting it failed too (${errorMessage(err)}): reset it in IAM NOW`,
    );
    return `${line}; no Slack user found for the owner, so the initial password was not delivered and ${reset}: NEEDS A PASSWORD RESET (tag the owner, then ${resetHint(target)})`;
  }
  const delivery = await deliverPassword(deps, target, ownerSlackId, result.password, who);
  return `${line}; ${deliveryLine(delivery, ownerSlackId, target)}`;
}

/** What the create / onboard modal asks for, as read from its state. */
export interface CreateForm {
  username: string;
  email: string;
  template: string;
  /** The account select's value: checked against the configured accounts, never trusted. */
  account: string | undefined;
  justification: string;
  owner: string | undefined;
  extraGroups: string[];
  duration: string | undefined;
  department: string;
  manager: string;
}

/** Budget for the IAM existence check before the ack; past it, execution re-checks (createUser conflicts). */
export const VALIDATE_BUDGET_MS = 2000;

const FIELD_TO_BLOCK: Record<string, string> = {
  username: CREATE_BLOCKS.username,
  email: CREATE_BLOCKS.email,
  template: CREATE_BLOCKS.template,
  account: CREATE_BLOCKS.account,
  extraGroups: CREATE_BLOCKS.groups,
  groups: CREATE_BLOCKS.groups,
  justification: CREATE_BLOCKS.justification,
};

export type Prepared =
  | { ok: false; errors: Record<string, string> }
  | { ok: true; request: PendingRequest; details: Record<string, unknown> };

/**
 * The create / onboard modal's checks, all before the ack so that a bad form is answered inline: shapes,
 * the template, the account, the owner's email, then IAM (within a budget). Returns the request to record.
 */
export async function prepareCreate(deps: Deps, requester: string, form: CreateForm): Promise<Prepared> {
  const errors: Record<string, string> = {};
  if (!USERNAME_RE.test(form.username))
    errors[CREATE_BLOCKS.username] = 'Use 1–64 letters, digits or + = , . @ _ - (no spaces).';
  const tpl = deps.config.templates[form.template];
  if (!tpl) {
    const known = Object.keys(deps.config.templates).join(', ');
    errors[CREATE_BLOCKS.template] = `Unknown template "${form.template}"; choose one of: ${known}.`;
  }
  let account = deps.core.accounts.home();
  if (form.account) {
    try {
      account = deps.core.accounts.resolve(form.account);
    } catch (err) {
      errors[CREATE_BLOCKS.account] = errorMessage(err);
    }
  }
  if (!form.justification) errors[CREATE_BLOCKS.justification] = 'Say why this access is needed.';
  const badGroup = form.extraGroups.find((g) => !GROUP_RE.test(g));
  if (badGroup) errors[CREATE_BLOCKS.groups] = `"${badGroup}" is not an IAM group name.`;
  let email = form.email;
  if (!email && form.owner)
    email =
      (await withTimeout(userInfo(deps.client, form.owner), 1000, undefined).catch(() => undefined))?.email ??
      '';
  if (!EMAIL_RE.test(email)) errors[CREATE_BLOCKS.email] = 'Enter the owner’s email address.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const input = {
    username: form.username,
    email,
    template: form.template,
    account: account.id,
    extraGroups: form.extraGroups,
    ...(form.owner ? { slackUserId: form.owner } : {}),
    ...(form.department ? { department: form.department } : {}),
    ...(form.manager ? { manager: form.manager } : {}),
  };
  const requestId = randomUUID();
  const checked = await withTimeout(
    deps.core.validateCreate(input, { actor: requester, requestId }).then(
      () => undefined,
      (err: unknown) => err,
    ),
    VALIDATE_BUDGET_MS,
    'timeout' as const,
  );
  if (checked instanceof ValidationError) {
    let block = FIELD_TO_BLOCK[checked.field] ?? CREATE_BLOCKS.username;
    // A missing group the requester did not type is the template's problem, not the extra-groups field's.
    if (block === CREATE_BLOCKS.groups && !form.extraGroups.some((g) => checked.message.includes(`"${g}"`)))
      block = CREATE_BLOCKS.template;
    return { ok: false, errors: { [block]: checked.message } };
  }
  if (checked instanceof ConflictError)
    return { ok: false, errors: { [CREATE_BLOCKS.username]: checked.message } };
  if (checked === 'timeout')
    deps.logger.warn({ request: requestId }, 'IAM check slow; execution will re-check');
  else if (checked) {
    // IAM unreachable is not the requester's fault: record the request; execution re-checks.
    deps.logger.warn({ err: errorMessage(checked), request: requestId }, 'validateCreate failed; accepting');
  }
  const duration = Number(form.duration ?? 0) || undefined;
  const request = newRequest(deps, {
    id: requestId,
    kind: 'create',
    requester,
    target: { username: form.username, email, ...(form.owner ? { slackUserId: form.owner } : {}) },
    template: form.template,
    account: account.id,
    justification: form.justification,
    extraGroups: form.extraGroups,
    ...(duration ? { durationHours: duration } : {}),
    approvalsNeeded: tpl?.approvals_required ?? 1,
    adminOnly: tpl?.admin_only ?? false,
  });
  return {
    ok: true,
    request,
    details: {
      template: form.template,
      extraGroups: form.extraGroups,
      approvalsNeeded: request.approvalsNeeded,
    },
  };
}
