import {
  type Grant,
  type GrantKind,
  grantRule,
  TEMPLATE_TAG,
  validateGrantRequest,
} from '../../core/index.js';
import type { Deps } from '../../deps.js';
import { errorMessage, ValidationError } from '../../errors.js';
import { withTimeout } from '../../slack/timeout.js';
import { userInfo } from '../../slack/users.js';
import type { PendingRequest } from '../../store/types.js';
import { accessLabel, GRANT_BLOCKS } from '../../views/grant-modal.js';
import { type GrantAsk, grantAccess } from '../grants.js';
import { ownUserIn } from '../targets.js';
import { fileRequest, newRequest } from './file.js';

/** An approved time-bound grant: applied in IAM, its expiry recorded in the store and in a tag. */
export async function runGrantRequest(deps: Deps, r: PendingRequest): Promise<string> {
  if (!r.grant) throw new Error(`request ${r.id} is a grant without its access`);
  const { grant, extended } = await grantAccess(deps, {
    requester: r.requester,
    ...(r.target.slackUserId ? { ownerSlackId: r.target.slackUserId } : {}),
    account: r.account,
    username: r.target.username,
    template: r.template ?? '',
    kind: r.grant.kind,
    target: r.grant.target,
    durationMinutes: r.grant.durationMinutes,
    reason: r.justification,
    approvers: r.approvals.map((a) => a.user),
    breakGlass: false,
    ...(r.grant.principalId ? { principalId: r.grant.principalId } : {}),
  });
  const to =
    r.grant.kind === 'permission-set'
      ? `Identity Center user \`${r.target.username}\` in ${r.grant.accountName ?? r.account} (${r.account})`
      : `\`${r.target.username}\``;
  return `${extended ? 'extended' : 'granted'} ${accessLabel(r.grant.kind, r.grant.target)} to ${to} until ${grant.expiresAt}`;
}

/**
 * A grant request as it waits for approval: the template's approvers and quorum apply to it, or a stricter
 * template's when that one also grants the access asked for.
 */
export function grantRequest(
  deps: Deps,
  ask: {
    requester: string;
    owner: string;
    account: string;
    username: string;
    template: string;
    justification: string;
    grant: NonNullable<PendingRequest['grant']>;
  },
): PendingRequest {
  const rule = grantRule(deps.config, ask.template, ask.grant);
  return newRequest(deps, {
    kind: 'grant',
    requester: ask.requester,
    target: { username: ask.username, slackUserId: ask.owner },
    template: ask.template,
    account: ask.account,
    justification: ask.justification,
    extraGroups: [],
    approvalsNeeded: rule.approvalsNeeded,
    adminOnly: rule.adminOnly,
    ...(rule.elevated.length > 0 ? { elevated: rule.elevated } : {}),
    grant: ask.grant,
  });
}

/** "Extend": a new approval request for the same access, for the grant's original length. Returns the reply, if any. */
export async function fileGrantExtension(
  deps: Deps,
  user: string,
  grantId: string,
): Promise<string | undefined> {
  const g = await deps.store.grants.get(grantId);
  if (g?.status !== 'active') return 'That grant is no longer active; request access again.';
  if (user !== g.ownerSlackId && user !== g.requester) return 'Only the holder can ask to extend a grant.';
  if (g.kind === 'permission-set') return fileSetExtension(deps, user, g);
  const snap = await deps.core.describeUser(g.account, g.username);
  const cap = deps.config.grants.max_duration_hours * 60;
  const original = Math.round((Date.parse(g.expiresAt) - Date.parse(g.createdAt)) / 60_000);
  const request = grantRequest(deps, {
    requester: user,
    owner: g.ownerSlackId ?? user,
    account: g.account,
    username: g.username,
    template: snap.tags[TEMPLATE_TAG] ?? '',
    justification: `Extension of grant ${g.id}: ${g.reason}`,
    grant: {
      kind: g.kind,
      target: g.target,
      durationMinutes: Math.max(15, Math.min(original, cap)),
      extension: true,
    },
  });
  await fileRequest(deps, request, { grant: request.grant, extends: g.id });
  return undefined;
}

/** "Extend" on a permission-set grant: the set's own rule and cap; no IAM user or template involved. */
async function fileSetExtension(deps: Deps, user: string, g: Grant): Promise<string | undefined> {
  const ps = deps.config.permission_sets[g.target];
  if (!ps || !g.principalId)
    return `Permission set ${g.target} is no longer configured; it cannot be extended.`;
  const original = Math.round((Date.parse(g.expiresAt) - Date.parse(g.createdAt)) / 60_000);
  const request = grantRequest(deps, {
    requester: user,
    owner: g.ownerSlackId ?? user,
    account: g.account,
    username: g.username,
    template: '',
    justification: `Extension of grant ${g.id}: ${g.reason}`,
    grant: {
      kind: 'permission-set',
      target: g.target,
      durationMinutes: Math.max(15, Math.min(original, Math.floor(ps.max_duration_hours * 60))),
      extension: true,
      principalId: g.principalId,
      permissionSetArn: ps.arn,
      accountName: accountName(deps, g.account),
    },
  });
  await fileRequest(deps, request, { grant: request.grant, extends: g.id });
  return undefined;
}

function accountName(deps: Deps, id: string): string {
  return deps.core.accounts.list().find((a) => a.id === id)?.name ?? id;
}

/** The request's `grant` field for a prepared ask: a permission set carries its user and ARN with it. */
export function requestedGrant(
  deps: Deps,
  ask: Omit<GrantAsk, 'breakGlass' | 'approvers'>,
): NonNullable<PendingRequest['grant']> {
  const base = { kind: ask.kind, target: ask.target, durationMinutes: ask.durationMinutes };
  if (ask.kind !== 'permission-set') return base;
  return {
    ...base,
    ...(ask.principalId ? { principalId: ask.principalId } : {}),
    ...(deps.config.permission_sets[ask.target]
      ? { permissionSetArn: deps.config.permission_sets[ask.target]?.arn }
      : {}),
    accountName: accountName(deps, ask.account),
  };
}

export interface GrantForm {
  /** The account select's value: checked against the configured accounts, never trusted. */
  account: string;
  access: { kind: GrantKind; target: string } | undefined;
  durationMinutes: number;
  reason: string;
}

const LOOKUP_BUDGET_MS = 2000;
const FIELD_TO_BLOCK: Record<string, string> = {
  account: GRANT_BLOCKS.account,
  template: GRANT_BLOCKS.access,
  target: GRANT_BLOCKS.access,
  duration: GRANT_BLOCKS.duration,
  reason: GRANT_BLOCKS.reason,
};

export type PreparedGrant =
  | { ok: false; errors: Record<string, string> }
  | { ok: true; ask: Omit<GrantAsk, 'breakGlass' | 'approvers'> };

/**
 * Both time-bound modals' checks, before the ack: the form, the caller's own IAM user in that account
 * (within a budget) and the template's allow-list, cap and break-glass flag.
 */
export async function prepareGrant(
  deps: Deps,
  caller: string,
  mode: 'request' | 'break-glass',
  form: GrantForm,
): Promise<PreparedGrant> {
  const errors: Record<string, string> = {};
  let account: string | undefined;
  if (!form.account) errors[GRANT_BLOCKS.account] = 'Choose an account.';
  else {
    try {
      account = deps.core.accounts.resolve(form.account).id;
    } catch (err) {
      errors[GRANT_BLOCKS.account] = errorMessage(err);
    }
  }
  if (!form.access) errors[GRANT_BLOCKS.access] = 'Choose a group or policy.';
  if (!form.durationMinutes) errors[GRANT_BLOCKS.duration] = 'Choose how long.';
  if (mode === 'break-glass' && form.reason.length < 10)
    errors[GRANT_BLOCKS.reason] = 'Say what is broken and why you need this now (10 characters or more).';
  if (mode === 'request' && !form.reason) errors[GRANT_BLOCKS.reason] = 'Say why you need this access.';
  if (Object.keys(errors).length > 0 || !form.access || !account) return { ok: false, errors };
  if (form.access.kind === 'permission-set')
    return preparePermissionSet(deps, caller, mode, { ...form, access: form.access }, account);
  const own = await withTimeout(
    ownUserIn(deps, caller, account).catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    ),
    LOOKUP_BUDGET_MS,
    new Error('IAM is slow to answer; try again in a moment'),
  );
  if (own instanceof Error || !own.ok) return { ok: false, errors: { [GRANT_BLOCKS.account]: own.message } };
  try {
    validateGrantRequest(deps.config, {
      template: own.template,
      ...form.access,
      durationMinutes: form.durationMinutes,
      breakGlass: mode === 'break-glass',
    });
  } catch (err) {
    if (err instanceof ValidationError)
      return { ok: false, errors: { [FIELD_TO_BLOCK[err.field] ?? GRANT_BLOCKS.access]: err.message } };
    throw err;
  }
  return {
    ok: true,
    ask: {
      requester: caller,
      ownerSlackId: caller,
      account,
      username: own.username,
      template: own.template,
      ...form.access,
      durationMinutes: form.durationMinutes,
      reason: form.reason,
    },
  };
}

function fieldErrors(err: unknown): PreparedGrant {
  if (err instanceof ValidationError)
    return { ok: false, errors: { [FIELD_TO_BLOCK[err.field] ?? GRANT_BLOCKS.access]: err.message } };
  throw err;
}

/**
 * A permission set: its own account list, cap and break-glass flag, then the caller's Identity Center user,
 * found by the email of their Slack profile (core.identityCenterUser: emails.value, else a UserName equal to
 * the address) within the same budget as the IAM lookup. No IAM user is needed.
 */
async function preparePermissionSet(
  deps: Deps,
  caller: string,
  mode: 'request' | 'break-glass',
  form: GrantForm & { access: { kind: GrantKind; target: string } },
  account: string,
): Promise<PreparedGrant> {
  try {
    validateGrantRequest(deps.config, {
      template: '',
      ...form.access,
      durationMinutes: form.durationMinutes,
      breakGlass: mode === 'break-glass',
      account,
      managedAccounts: deps.core.accounts.list().map((a) => a.id),
    });
  } catch (err) {
    return fieldErrors(err);
  }
  const lookup = async (): Promise<{ userId: string; userName: string } | string> => {
    const info = await userInfo(deps.client, caller);
    if (!info?.email)
      return 'Your Slack profile shows no email (or the bot lacks users:read.email), so your Identity Center user cannot be found.';
    const user = await deps.core.identityCenterUser(info.email);
    return (
      user ??
      `No Identity Center user has the email ${info.email} (identitystore emails.value), nor that UserName; ask an admin to add it to your Identity Center user.`
    );
  };
  const found = await withTimeout(
    lookup().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))),
    LOOKUP_BUDGET_MS,
    new Error('Identity Center is slow to answer; try again in a moment'),
  );
  if (found instanceof Error) return { ok: false, errors: { [GRANT_BLOCKS.access]: errorMessage(found) } };
  if (typeof found === 'string') return { ok: false, errors: { [GRANT_BLOCKS.access]: found } };
  return {
    ok: true,
    ask: {
      requester: caller,
      ownerSlackId: caller,
      account,
      username: found.userName,
      principalId: found.userId,
      template: '',
      ...form.access,
      durationMinutes: form.durationMinutes,
      reason: form.reason,
    },
  };
}
