import type { FileConfig, Template } from '../config.js';
import { ValidationError } from '../errors.js';
import { TAG, tagList } from './tags.js';

export type { Template };

/** IAM's own rule for user names. */
export const USERNAME_RE = /^[\w+=,.@-]{1,64}$/;
export const GROUP_RE = /^[\w+=,.@-]{1,128}$/;
/** Deliberately plain: one @, no spaces, a dot in the domain. IAM tag values cannot hold more anyway. */
export const EMAIL_RE = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

/** One IAM API call a plan would make; secrets appear only as `<generated>`. */
export interface PlannedCall {
  action: string;
  params: Record<string, unknown>;
}

export function validateUsername(username: string, field = 'username'): void {
  if (typeof username !== 'string' || username.length === 0) {
    throw new ValidationError(field, 'is required', 'give an IAM user name such as jane.doe');
  }
  if (!USERNAME_RE.test(username)) {
    throw new ValidationError(
      field,
      `"${username.slice(0, 80)}" is not a valid IAM user name`,
      'use 1-64 characters from letters, digits and + = , . @ _ -',
    );
  }
}

export function validateEmail(email: string, field = 'email'): void {
  if (typeof email !== 'string' || email.length === 0) {
    throw new ValidationError(field, 'is required', 'give an address such as jane@example.com');
  }
  if (email.length > 256 || !EMAIL_RE.test(email)) {
    throw new ValidationError(
      field,
      `"${email.slice(0, 80)}" is not a valid email address`,
      'use an address such as jane@example.com',
    );
  }
}

export function validateGroupName(group: string, field = 'groups'): void {
  if (!GROUP_RE.test(group)) {
    throw new ValidationError(
      field,
      `"${group.slice(0, 80)}" is not a valid IAM group name`,
      'use letters, digits and + = , . @ _ -',
    );
  }
}

/** The template of that name, or undefined (never one of Object.prototype's keys). */
export function findTemplate(
  config: Pick<FileConfig, 'templates'>,
  name: string | undefined,
): Template | undefined {
  return name !== undefined && Object.hasOwn(config.templates, name) ? config.templates[name] : undefined;
}

export function getTemplate(config: Pick<FileConfig, 'templates'>, name: string): Template {
  const t = findTemplate(config, name);
  if (!t) {
    throw new ValidationError(
      'template',
      `unknown template "${String(name).slice(0, 64)}"`,
      `use one of: ${Object.keys(config.templates).join(', ')}`,
    );
  }
  return t;
}

/** Inline policy documents may be written as YAML objects in the config; IAM wants JSON text. */
export function policyText(doc: string | Record<string, unknown>): string {
  return typeof doc === 'string' ? doc : JSON.stringify(doc);
}

/** What a template means for one user: the IAM state it should end up with. */
export interface DesiredState {
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: Record<string, string>;
  tags: Record<string, string>;
  permissionBoundary: string | undefined;
  console: boolean;
}

export function desiredState(
  templateName: string,
  template: Template,
  opts: { extraGroups?: string[]; tags?: Record<string, string>; console?: boolean },
): DesiredState {
  const groups = [...new Set([...template.groups, ...(opts.extraGroups ?? [])])];
  const inlinePolicies: Record<string, string> = {};
  for (const [name, doc] of Object.entries(template.inline_policies)) inlinePolicies[name] = policyText(doc);
  return {
    groups,
    managedPolicies: [...new Set(template.managed_policies)],
    inlinePolicies,
    tags: { ...template.tags, ...(opts.tags ?? {}), [TAG.template]: templateName },
    permissionBoundary: template.permission_boundary,
    console: opts.console ?? template.console_access,
  };
}

/** The calls that create a user in `state`, in the order they run. */
export function createPlan(username: string, state: DesiredState): PlannedCall[] {
  const plan: PlannedCall[] = [
    {
      action: 'CreateUser',
      params: {
        UserName: username,
        Tags: tagList(state.tags),
        ...(state.permissionBoundary ? { PermissionsBoundary: state.permissionBoundary } : {}),
      },
    },
  ];
  for (const g of state.groups)
    plan.push({ action: 'AddUserToGroup', params: { UserName: username, GroupName: g } });
  for (const arn of state.managedPolicies) {
    plan.push({ action: 'AttachUserPolicy', params: { UserName: username, PolicyArn: arn } });
  }
  for (const [name, doc] of Object.entries(state.inlinePolicies)) {
    plan.push({
      action: 'PutUserPolicy',
      params: { UserName: username, PolicyName: name, PolicyDocument: doc },
    });
  }
  if (state.console) {
    plan.push({
      action: 'CreateLoginProfile',
      params: { UserName: username, Password: '<generated>', PasswordResetRequired: true },
    });
  }
  return plan;
}

/** One piece of access a request adds that a stricter template than its own also grants. */
export interface ElevatedAccess {
  kind: 'group' | 'policy';
  name: string;
  /** The strictest template that grants it: its approvers and quorum now apply to the whole request. */
  template: string;
  adminOnly: boolean;
  approvalsNeeded: number;
}

/** Who must approve a request, and why that is stricter than its template alone, if it is. */
export interface ApprovalRule {
  approvalsNeeded: number;
  adminOnly: boolean;
  elevated: ElevatedAccess[];
}

/** Everything a template can give: its own groups and policies, its extra groups, and what it grants for a while. */
function grantsOf(t: Template): { groups: Set<string>; policies: Set<string> } {
  return {
    groups: new Set([...t.groups, ...t.extra_groups, ...t.grantable.groups]),
    policies: new Set([...t.managed_policies, ...t.grantable.managed_policies]),
  };
}

const stricter = (a: { adminOnly: boolean; approvalsNeeded: number }, b: typeof a): boolean =>
  (a.adminOnly && !b.adminOnly) || a.approvalsNeeded > b.approvalsNeeded;

/**
 * A request needs the strictest approval that any access in it would need: its template's own rule, raised
 * by every template that also grants one of the requested groups or policies. So Administrators typed as an
 * extra group of a `developer` request needs the `admin` template's admins and quorum, as `admin` itself does.
 */
export function approvalRule(
  config: Pick<FileConfig, 'templates'>,
  templateName: string,
  access: { groups?: readonly string[]; policies?: readonly string[] },
): ApprovalRule {
  const own = getTemplate(config, templateName);
  const rule: ApprovalRule = {
    approvalsNeeded: own.approvals_required,
    adminOnly: own.admin_only,
    elevated: [],
  };
  const base = { adminOnly: own.admin_only, approvalsNeeded: own.approvals_required };
  const wanted = [
    ...(access.groups ?? []).map((name) => ({ kind: 'group' as const, name })),
    ...(access.policies ?? []).map((name) => ({ kind: 'policy' as const, name })),
  ];
  for (const { kind, name } of wanted) {
    let strictest: ElevatedAccess | undefined;
    for (const [tName, t] of Object.entries(config.templates)) {
      const gives = grantsOf(t);
      if (!(kind === 'group' ? gives.groups : gives.policies).has(name)) continue;
      const candidate = {
        kind,
        name,
        template: tName,
        adminOnly: t.admin_only,
        approvalsNeeded: t.approvals_required,
      };
      if (!strictest || stricter(candidate, strictest)) strictest = candidate;
    }
    if (!strictest || !stricter(strictest, base)) continue;
    rule.elevated.push(strictest);
    rule.adminOnly ||= strictest.adminOnly;
    rule.approvalsNeeded = Math.max(rule.approvalsNeeded, strictest.approvalsNeeded);
  }
  return rule;
}

/**
 * The rule for one time-bound grant: of a group or a policy, approvalRule on that access under `templateName`;
 * of a permission set, the set's own approvals_required and admin_only (no template gives one, so none can
 * be stricter). An unknown set needs an admin quorum of 5, so a crafted request can never pass easier.
 */
export function grantRule(
  config: Pick<FileConfig, 'templates' | 'permission_sets'>,
  templateName: string,
  access: { kind: 'group' | 'policy' | 'permission-set'; target: string },
): ApprovalRule {
  if (access.kind === 'permission-set') {
    const ps = Object.hasOwn(config.permission_sets, access.target)
      ? config.permission_sets[access.target]
      : undefined;
    return ps
      ? { approvalsNeeded: ps.approvals_required, adminOnly: ps.admin_only, elevated: [] }
      : { approvalsNeeded: 5, adminOnly: true, elevated: [] };
  }
  return approvalRule(
    config,
    templateName,
    access.kind === 'group' ? { groups: [access.target] } : { policies: [access.target] },
  );
}

/** The groups a create request for `template` may add: its allow-list (`extra_groups` and `grantable.groups`). */
export function allowedExtraGroups(template: Template): string[] {
  return [...new Set([...template.extra_groups, ...template.grantable.groups])];
}

/** Refuses an extra group that is not on the template's allow-list, naming the list and where to extend it. */
export function checkExtraGroups(templateName: string, template: Template, groups: readonly string[]): void {
  const allowed = allowedExtraGroups(template);
  const own = new Set(template.groups);
  const refused = groups.find((g) => !allowed.includes(g) && !own.has(g));
  if (refused === undefined) return;
  throw new ValidationError(
    'extraGroups',
    `"${refused.slice(0, 128)}" is not offered with template ${templateName}`,
    allowed.length > 0
      ? `choose from ${allowed.join(', ')}, or ask an admin to add it under templates.${templateName}.extra_groups`
      : `this template offers no extra groups; ask an admin to add it under templates.${templateName}.extra_groups`,
  );
}
