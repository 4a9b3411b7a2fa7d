import { ValidationError } from '../../errors.js';
import { audited } from '../audit.js';
import { describeCall } from '../aws/iam-calls.js';
import type { Actor, CoreContext } from '../context.js';
import { TAG, tagList } from '../tags.js';
import {
  desiredState,
  findTemplate,
  getTemplate,
  type PlannedCall,
  validateGroupName,
  validateUsername,
} from '../templates.js';
import type { CreateOptions } from './create.js';
import { describeUser, sameJson, type UserSnapshot } from './describe.js';
import { checkRemote, ExistenceCache } from './existence.js';
import { checkTagValue } from './input.js';
import { runSteps } from './steps.js';

export interface UpdateUserInput {
  account: string;
  username: string;
  addGroups?: string[];
  removeGroups?: string[];
  setTags?: Record<string, string>;
  removeTags?: string[];
  template?: string;
}

/** Computes the calls that move `snap` to what `input` asks for. */
function updatePlan(ctx: CoreContext, snap: UserSnapshot, input: UpdateUserInput): PlannedCall[] {
  const UserName = input.username;
  const addGroups = new Set(input.addGroups ?? []);
  const removeGroups = new Set(input.removeGroups ?? []);
  const attach = new Set<string>();
  const detach = new Set<string>();
  const putInline: Record<string, string> = {};
  const deleteInline = new Set<string>();
  const setTags: Record<string, string> = { ...(input.setTags ?? {}) };
  const removeTags = new Set(input.removeTags ?? []);
  let boundary: PlannedCall | undefined;

  if (input.template) {
    const next = desiredState(input.template, getTemplate(ctx.config, input.template), {});
    const oldName = snap.tags[TAG.template];
    const oldTemplate = oldName ? findTemplate(ctx.config, oldName) : undefined;
    const old = oldTemplate ? desiredState(oldName as string, oldTemplate, {}) : undefined;
    for (const g of next.groups) addGroups.add(g);
    for (const g of old?.groups ?? []) if (!next.groups.includes(g) && !addGroups.has(g)) removeGroups.add(g);
    for (const p of next.managedPolicies) attach.add(p);
    for (const p of old?.managedPolicies ?? []) if (!next.managedPolicies.includes(p)) detach.add(p);
    for (const [n, d] of Object.entries(next.inlinePolicies)) {
      if (!snap.inlinePolicies[n] || !sameJson(snap.inlinePolicies[n], d)) putInline[n] = d;
    }
    for (const n of Object.keys(old?.inlinePolicies ?? {}))
      if (!(n in next.inlinePolicies)) deleteInline.add(n);
    for (const [k, v] of Object.entries(next.tags)) if (!(k in setTags)) setTags[k] = v;
    for (const k of Object.keys(old?.tags ?? {})) if (!(k in next.tags) && !(k in setTags)) removeTags.add(k);
    if (next.permissionBoundary && next.permissionBoundary !== snap.permissionBoundary) {
      boundary = {
        action: 'PutUserPermissionsBoundary',
        params: { UserName, PermissionsBoundary: next.permissionBoundary },
      };
    } else if (
      !next.permissionBoundary &&
      snap.permissionBoundary &&
      snap.permissionBoundary === old?.permissionBoundary
    ) {
      boundary = { action: 'DeleteUserPermissionsBoundary', params: { UserName } };
    }
  }

  const plan: PlannedCall[] = [];
  if (boundary) plan.push(boundary);
  for (const g of addGroups)
    if (!snap.groups.includes(g)) plan.push({ action: 'AddUserToGroup', params: { UserName, GroupName: g } });
  for (const p of attach) {
    if (!snap.managedPolicies.includes(p))
      plan.push({ action: 'AttachUserPolicy', params: { UserName, PolicyArn: p } });
  }
  for (const [n, d] of Object.entries(putInline)) {
    plan.push({ action: 'PutUserPolicy', params: { UserName, PolicyName: n, PolicyDocument: d } });
  }
  const changedTags = Object.fromEntries(Object.entries(setTags).filter(([k, v]) => snap.tags[k] !== v));
  if (Object.keys(changedTags).length > 0)
    plan.push({ action: 'TagUser', params: { UserName, Tags: tagList(changedTags) } });
  for (const g of removeGroups) {
    if (snap.groups.includes(g))
      plan.push({ action: 'RemoveUserFromGroup', params: { UserName, GroupName: g } });
  }
  for (const p of detach) {
    if (snap.managedPolicies.includes(p))
      plan.push({ action: 'DetachUserPolicy', params: { UserName, PolicyArn: p } });
  }
  for (const n of deleteInline) {
    if (n in snap.inlinePolicies)
      plan.push({ action: 'DeleteUserPolicy', params: { UserName, PolicyName: n } });
  }
  const untag = [...removeTags].filter((k) => k in snap.tags && !(k in setTags));
  if (untag.length > 0) plan.push({ action: 'UntagUser', params: { UserName, TagKeys: untag } });
  return plan;
}

/** Tags, groups added or removed, and a template change (old template's grants out, new one's in). */
export async function updateUser(
  ctx: CoreContext,
  input: UpdateUserInput,
  who: Actor,
  opts: CreateOptions = {},
): Promise<{ changed: boolean; plan: PlannedCall[] }> {
  validateUsername(input.username);
  for (const g of [...(input.addGroups ?? []), ...(input.removeGroups ?? [])]) validateGroupName(g);
  const both = (input.addGroups ?? []).filter((g) => (input.removeGroups ?? []).includes(g));
  if (both.length > 0)
    throw new ValidationError('groups', `"${both[0]}" is both added and removed`, 'pick one');
  for (const [k, v] of Object.entries(input.setTags ?? {})) checkTagValue(`tags.${k}`, v);
  if (input.template) getTemplate(ctx.config, input.template);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const snap = await describeUser(ctx, account, input.username, who);
  const plan = updatePlan(ctx, snap, input);
  const cache = opts.cache ?? new ExistenceCache();
  await checkRemote(
    iam,
    account,
    {
      groups: plan.filter((c) => c.action === 'AddUserToGroup').map((c) => String(c.params.GroupName)),
      managedPolicies: plan
        .filter((c) => c.action === 'AttachUserPolicy')
        .map((c) => String(c.params.PolicyArn)),
      permissionBoundary: plan.find((c) => c.action === 'PutUserPermissionsBoundary')?.params
        .PermissionsBoundary as string | undefined,
    },
    cache,
  );
  const details = { calls: plan.map(describeCall), before: { groups: snap.groups, tags: snap.tags } };
  return audited(ctx, who, { action: 'user.update', account, target: input.username }, async (trail) => {
    if (plan.length === 0 || opts.dryRun) {
      return {
        result: { changed: plan.length > 0, plan },
        outcome: plan.length === 0 ? 'noop' : 'dry-run',
        details,
      };
    }
    await runSteps(ctx, iam, plan, trail, details);
    return { result: { changed: true, plan }, details };
  });
}
