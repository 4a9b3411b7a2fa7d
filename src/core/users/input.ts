import { ValidationError } from '../../errors.js';
import type { CoreContext } from '../context.js';
import { isTagValue, PROFILE_TAG, type TemporaryTag } from '../tags.js';
import {
  type DesiredState,
  desiredState,
  getTemplate,
  validateEmail,
  validateGroupName,
  validateUsername,
} from '../templates.js';

/** What a create request says about the person, and the checks that need no IAM call. */
export interface UserProfile {
  username: string;
  email: string;
  department?: string;
  manager?: string;
  costCenter?: string;
  slackUserId?: string;
}

export interface CreateUserInput extends UserProfile {
  account: string;
  template: string;
  extraGroups?: string[];
  console?: boolean;
  /**
   * A temporary user (the create modal's duration): written with CreateUser itself as the
   * `aws-user:temporary-until` tag, so the user's end is in IAM from its first moment. Not part of the
   * desired state: a re-run of the same request (a later `until`) still finds the user identical.
   */
  temporary?: TemporaryTag;
}

export function checkTagValue(field: string, value: string | undefined): void {
  if (value === undefined) return;
  if (!isTagValue(value)) {
    throw new ValidationError(
      field,
      `"${value.slice(0, 80)}" cannot be stored as an IAM tag value`,
      'use at most 256 letters, digits, spaces and _ . : / = + - @',
    );
  }
}

function profileTags(input: UserProfile): Record<string, string> {
  const tags: Record<string, string> = { [PROFILE_TAG.email]: input.email };
  if (input.department) tags[PROFILE_TAG.department] = input.department;
  if (input.manager) tags[PROFILE_TAG.manager] = input.manager;
  if (input.costCenter) tags[PROFILE_TAG.costCenter] = input.costCenter;
  if (input.slackUserId) tags[PROFILE_TAG.slackUserId] = input.slackUserId;
  return tags;
}

/** Everything that can be checked without IAM. Returns the state the user should end up in. */
export function checkCreateInput(
  ctx: Pick<CoreContext, 'config'>,
  input: Omit<CreateUserInput, 'account'>,
): DesiredState {
  validateUsername(input.username);
  validateEmail(input.email);
  const template = getTemplate(ctx.config, input.template);
  for (const g of input.extraGroups ?? []) validateGroupName(g, 'groups');
  checkTagValue('department', input.department);
  checkTagValue('manager', input.manager);
  checkTagValue('costCenter', input.costCenter);
  checkTagValue('slackUserId', input.slackUserId);
  const state = desiredState(input.template, template, {
    extraGroups: input.extraGroups ?? [],
    tags: profileTags(input),
    ...(input.console !== undefined ? { console: input.console } : {}),
  });
  if (state.groups.length > 10) {
    throw new ValidationError(
      'groups',
      `${state.groups.length} groups requested`,
      'IAM allows at most 10 per user',
    );
  }
  if (state.managedPolicies.length > 10) {
    throw new ValidationError('template', 'more than 10 managed policies', 'IAM allows at most 10 per user');
  }
  return state;
}
