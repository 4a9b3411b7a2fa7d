import { randomUUID } from 'node:crypto';
import {
  type Actor,
  approvalRule,
  checkExtraGroups,
  EMAIL_RE,
  findTemplate,
  GROUP_RE,
  getTemplate,
  IC_USERNAME_RE,
  USERNAME_RE,
} from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { ConflictError, errorMessage, ValidationError } from '../../errors.js';
import { notify, resolveOwner } from '../../slack/dm.js';
import { withTimeout } from '../../slack/timeout.js';
import { lookupByEmail, userInfo } from '../../slack/users.js';
import type { PendingRequest } from '../../store/types.js';
import { CREATE_BLOCKS, DURATIONS } from '../../views/create-modal.js';
import { identityCenterWelcome } from '../../views/identity-center-people.js';
import { newRequest } from './file.js';
import { deliverPassword, deliveryLine, resetHint } from './password.js';

/**
 * What core's createUser gets for a request: also what recovery compares an existing user against
 * (without `endsAt`: the temporary tag is outside the desired state).
 */
export function createInput(r: PendingRequest, ownerSlackId: string | undefined, endsAt?: string) {
  return {
    username: r.target.username,
    email: r.target.email ?? '',
    ...(ownerSlackId ? { slackUserId: ownerSlackId } : {}),
    account: r.account,
    template: r.template ?? '',
    extraGroups: r.extraGroups,
    ...(endsAt ? { temporary: { endsAt, requestId: r.id, requester: r.requester } } : {}),
  };
}

/** A temporary user's end, counted from the approval, so a recovered run ends when the approved one would have. */
export function temporaryEnd(deps: Pick<Deps, 'clock'>, r: PendingRequest): string | undefined {
  if (!r.durationHours) return undefined;
  const from = Date.parse(r.decidedAt ?? '') || deps.clock.now().getTime();
  return new Date(from + r.durationHours * 3_600_000).toISOString();
}

export async function recordTemporaryUser(
  deps: Deps,
  r: PendingRequest,
  username: string,
  ownerSlackId: string | undefined,
  endsAt: string,
): Promise<string> {
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
  if (identityCenterTemplate(deps, r.template)) return runIdentityCenterCreate(deps, r, ownerSlackId, who);
  const endsAt = temporaryEnd(deps, r);
  const result = await deps.core.createUser(createInput(r, ownerSlackId, endsAt), who);
  let line =
    result.status === 'unchanged'
      ? `\`${result.username}\` already existed as requested; nothing changed`
      : `created \`${result.username}\`${result.arn ? ` (${result.arn})` : ''}`;
  if (endsAt && result.status === 'created')
    line += await recordTemporaryUser(deps, r, result.username, ownerSlackId, endsAt);
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

/** The template's Identity Center groups when it targets IAM Identity Center, else undefined. */
export function identityCenterTemplate(
  deps: Pick<Deps, 'config'>,
  template: string | undefined,
): { groups: string[] } | undefined {
  return findTemplate(deps.config, template)?.identity_center;
}

/** A display name split the way Identity Store wants it: given name first, the rest the family name. */
export function splitName(displayName: string): { givenName: string; familyName: string } {
  const [given = displayName, ...rest] = displayName.trim().split(/\s+/);
  return { givenName: given, familyName: rest.join(' ') || given };
}

/**
 * An approved create from an Identity Center template: the Identity Store user and its groups, named after
 * the owner's Slack profile. No password exists, so none is sent: the owner is told how to sign in.
 */
async function runIdentityCenterCreate(
  deps: Deps,
  r: PendingRequest,
  ownerSlackId: string | undefined,
  who: Actor,
): Promise<string> {
  const groups = identityCenterTemplate(deps, r.template)?.groups ?? [];
  const profile = ownerSlackId ? await userInfo(deps.client, ownerSlackId).catch(() => undefined) : undefined;
  const displayName = profile?.realName || r.target.displayName || r.target.username;
  const result = await deps.core.identityCenterPeople.create(
    {
      userName: r.target.username,
      displayName,
      ...splitName(displayName),
      email: r.target.email ?? '',
      groups,
    },
    who,
  );
  const line = `created IAM Identity Center user \`${result.userName}\` (${result.userId})${result.groups.length > 0 ? ` in ${result.groups.join(', ')}` : ''}; no password was created`;
  return `${line}; ${await tellHowToSignIn(deps, ownerSlackId, result)}`;
}

/** The owner's DM for a new Identity Center user: how to sign in (no secret in it). Returns what happened. */
export async function tellHowToSignIn(
  deps: Deps,
  ownerSlackId: string | undefined,
  user: { userName: string; groups: string[] },
): Promise<string> {
  if (!ownerSlackId) return 'no Slack user found for the owner, so nobody was told how to sign in';
  const portalUrl = deps.config.identity_center?.portal_url;
  const told = await notify(
    deps.client,
    ownerSlackId,
    identityCenterWelcome({
      userName: user.userName,
      groups: user.groups,
      ...(portalUrl ? { portalUrl } : {}),
    }),
  ).then(
    () => true,
    () => false,
  );
  return told
    ? `<@${ownerSlackId}> was told how to sign in`
    : `the DM to <@${ownerSlackId}> failed: tell them how to sign in`;
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

/** The duration select's value as hours: only one of the offered choices, never what the payload says. */
export function parseDuration(value: string | undefined): { hours?: number } | { error: string } {
  if (value === undefined || value === '') return {};
  const offered = DURATIONS.find((d) => String(d.hours) === value);
  if (offered) return offered.hours > 0 ? { hours: offered.hours } : {};
  return { error: `Choose one of the offered durations: ${DURATIONS.map((d) => d.label).join(', ')}.` };
}

/**
 * The owner's Slack id, resolved now so that the approval rules can tell who the owner is: the picker's
 * value, else the Slack user with the owner's email. A request whose owner cannot be resolved is refused.
 */
async function ownerOf(
  deps: Deps,
  form: CreateForm,
  email: string,
): Promise<{ id: string } | { error: string }> {
  if (form.owner) return { id: form.owner };
  const found = await withTimeout(
    lookupByEmail(deps.client, email).then(
      (id) => id ?? ('none' as const),
      () => 'failed' as const,
    ),
    OWNER_LOOKUP_BUDGET_MS,
    'failed' as const,
  );
  if (found === 'none')
    return { error: `No Slack user has the email ${email}; pick the owner in the Owner field.` };
  if (found === 'failed')
    return { error: 'Slack did not answer the owner lookup in time; pick the owner in the Owner field.' };
  return { id: found };
}

/** Budget for the owner's lookup by email; it runs beside the IAM check, so the two share the ack's 3 s. */
const OWNER_LOOKUP_BUDGET_MS = 2000;

/**
 * The create / onboard modal's checks, all before the ack so that a bad form is answered inline: shapes and
 * bounds, the template and its extra-group allow-list, the account, the owner (resolved to a Slack user),
 * then IAM (within a budget). Returns the request to record, under the strictest approval its access needs.
 */
export async function prepareCreate(deps: Deps, requester: string, form: CreateForm): Promise<Prepared> {
  const errors: Record<string, string> = {};
  const tpl = findTemplate(deps.config, form.template);
  const ic = tpl?.identity_center;
  if (ic) {
    if (!IC_USERNAME_RE.test(form.username))
      errors[CREATE_BLOCKS.username] = 'Use 1–128 letters, digits or punctuation (no spaces).';
    // Extra IAM groups and a duration are IAM-only: an Identity Center user gets the template's groups, for good.
    if (form.extraGroups.length > 0)
      errors[CREATE_BLOCKS.groups] =
        `Template ${form.template} creates an IAM Identity Center user: extra IAM groups do not apply; leave this empty.`;
    if (form.duration)
      errors[CREATE_BLOCKS.duration] =
        `Template ${form.template} creates an IAM Identity Center user, which cannot be temporary; leave this empty.`;
  } else if (!USERNAME_RE.test(form.username))
    errors[CREATE_BLOCKS.username] = 'Use 1–64 letters, digits or + = , . @ _ - (no spaces).';
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
  if (ic) {
    // The extra-groups error, if any, was set above.
  } else if (badGroup) errors[CREATE_BLOCKS.groups] = `"${badGroup}" is not an IAM group name.`;
  else if (tpl) {
    try {
      checkExtraGroups(form.template, tpl, form.extraGroups);
    } catch (err) {
      errors[CREATE_BLOCKS.groups] = err instanceof ValidationError ? err.message : errorMessage(err);
    }
  }
  const duration = parseDuration(form.duration);
  if ('error' in duration) errors[CREATE_BLOCKS.duration] = duration.error;
  let email = form.email;
  if (!email && form.owner)
    email =
      (await withTimeout(userInfo(deps.client, form.owner), 1000, undefined).catch(() => undefined))?.email ??
      '';
  if (!EMAIL_RE.test(email)) errors[CREATE_BLOCKS.email] = 'Enter the owner’s email address.';
  if (Object.keys(errors).length > 0 || !tpl || 'error' in duration) return { ok: false, errors };

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
  const [owner, checked] = await Promise.all([
    ownerOf(deps, form, email),
    withTimeout(
      (ic
        ? deps.core.identityCenterPeople.validate({
            userName: form.username,
            // The owner's Slack name is read at execution; the check only needs the shape of a name.
            displayName: form.username,
            givenName: form.username,
            familyName: form.username,
            email,
            groups: ic.groups,
          })
        : deps.core.validateCreate(input, { actor: requester, requestId })
      ).then(
        () => undefined,
        (err: unknown) => err,
      ),
      VALIDATE_BUDGET_MS,
      'timeout' as const,
    ),
  ]);
  if ('error' in owner) return { ok: false, errors: { [CREATE_BLOCKS.email]: owner.error } };
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
  const rule = createRule(deps, form.template, form.extraGroups);
  const request = newRequest(deps, {
    id: requestId,
    kind: 'create',
    requester,
    target: { username: form.username, email, slackUserId: owner.id },
    template: form.template,
    account: account.id,
    justification: form.justification,
    extraGroups: form.extraGroups,
    ...(duration.hours ? { durationHours: duration.hours } : {}),
    approvalsNeeded: rule.approvalsNeeded,
    adminOnly: rule.adminOnly,
    ...(rule.elevated.length > 0 ? { elevated: rule.elevated } : {}),
    ...(ic ? { identityCenter: true } : {}),
  });
  return {
    ok: true,
    request,
    details: {
      template: form.template,
      extraGroups: form.extraGroups,
      approvalsNeeded: request.approvalsNeeded,
      adminOnly: request.adminOnly,
      ...(rule.elevated.length > 0 ? { elevated: rule.elevated.map((e) => `${e.kind}:${e.name}`) } : {}),
    },
  };
}

/** A create request's rule: everything the template and the extra groups grant, at the strictest approval. */
export function createRule(deps: Pick<Deps, 'config'>, template: string, extraGroups: readonly string[]) {
  const tpl = getTemplate(deps.config, template);
  return approvalRule(deps.config, template, {
    groups: [...tpl.groups, ...extraGroups],
    policies: tpl.managed_policies,
  });
}
