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

export function getTemplate(config: Pick<FileConfig, 'templates'>, name: string): Template {
  const t = Object.hasOwn(config.templates, name) ? config.templates[name] : undefined;
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
