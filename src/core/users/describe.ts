import {
  GetLoginProfileCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  NoSuchEntityException,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListUserPolicies,
  type User,
} from '@aws-sdk/client-iam';
import { NotFoundError } from '../../errors.js';
import { collect } from '../aws/paging.js';
import { ignoreMissing } from '../aws/retry.js';
import type { Actor, CoreContext } from '../context.js';
import { type DesiredState, validateUsername } from '../templates.js';

export interface UserSnapshot {
  account: string;
  username: string;
  arn: string;
  createdAt: string;
  tags: Record<string, string>;
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: Record<string, string>;
  permissionBoundary?: string;
  hasLoginProfile: boolean;
  accessKeys: { id: string; status: 'Active' | 'Inactive'; createdAt: string }[];
  mfaDevices: string[];
}

export async function getUser(iam: IAMClient, username: string): Promise<User | undefined> {
  try {
    return (await iam.send(new GetUserCommand({ UserName: username }))).User;
  } catch (err) {
    if (err instanceof NoSuchEntityException) return undefined;
    throw err;
  }
}

/** Runs a call on the user; IAM's NoSuchEntity becomes a NotFoundError naming the user and the account. */
export async function onUser<T>(account: string, username: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof NoSuchEntityException) {
      throw new NotFoundError(`user "${username}" does not exist in account ${account}`, { cause: err });
    }
    throw err;
  }
}

export async function userExists(
  ctx: CoreContext,
  account: string,
  username: string,
  who?: Actor,
): Promise<boolean> {
  validateUsername(username);
  return (await getUser(ctx.clients.iam(account, who?.actor), username)) !== undefined;
}

/** The user's full IAM configuration: what offboarding records and what "identical" is judged against. */
export async function describeUser(
  ctx: CoreContext,
  account: string,
  username: string,
  who?: Actor,
): Promise<UserSnapshot> {
  const iam = ctx.clients.iam(account, who?.actor);
  const label = ctx.clients.resolve(account).id;
  const user = await getUser(iam, username);
  if (!user) throw new NotFoundError(`user "${username}" does not exist in account ${label}`);
  const client = { client: iam };
  const UserName = username;
  const [groups, managed, inlineNames, hasLoginProfile, keys, mfa] = await Promise.all([
    collect(paginateListGroupsForUser(client, { UserName }), (p) => p.Groups),
    collect(paginateListAttachedUserPolicies(client, { UserName }), (p) => p.AttachedPolicies),
    collect(paginateListUserPolicies(client, { UserName }), (p) => p.PolicyNames),
    ignoreMissing(() => iam.send(new GetLoginProfileCommand({ UserName }))),
    collect(paginateListAccessKeys(client, { UserName }), (p) => p.AccessKeyMetadata),
    collect(paginateListMFADevices(client, { UserName }), (p) => p.MFADevices),
  ]);
  const inlinePolicies: Record<string, string> = {};
  for (const name of inlineNames) {
    const doc =
      (await iam.send(new GetUserPolicyCommand({ UserName, PolicyName: name }))).PolicyDocument ?? '';
    inlinePolicies[name] = safeDecode(doc);
  }
  const tags: Record<string, string> = {};
  for (const t of user.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    account: label,
    username,
    arn: user.Arn ?? '',
    createdAt: user.CreateDate?.toISOString() ?? '',
    tags,
    groups: groups.map((g) => g.GroupName ?? '').filter(Boolean),
    managedPolicies: managed.map((p) => p.PolicyArn ?? '').filter(Boolean),
    inlinePolicies,
    ...(user.PermissionsBoundary?.PermissionsBoundaryArn
      ? { permissionBoundary: user.PermissionsBoundary.PermissionsBoundaryArn }
      : {}),
    hasLoginProfile,
    accessKeys: keys.map((k) => ({
      id: k.AccessKeyId ?? '',
      status: k.Status === 'Inactive' ? ('Inactive' as const) : ('Active' as const),
      createdAt: k.CreateDate?.toISOString() ?? '',
    })),
    mfaDevices: mfa.map((d) => d.SerialNumber ?? '').filter(Boolean),
  };
}

/** IAM returns policy documents URL-encoded. */
function safeDecode(doc: string): string {
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

export function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

/** How an existing user differs from the state a create would give it ([] = identical). */
export function differences(snap: UserSnapshot, state: DesiredState): string[] {
  const diffs: string[] = [];
  for (const [k, v] of Object.entries(state.tags)) {
    if (snap.tags[k] !== v)
      diffs.push(`tag ${k} is ${JSON.stringify(snap.tags[k] ?? null)}, not ${JSON.stringify(v)}`);
  }
  if (!sameSet(snap.groups, state.groups)) diffs.push(`groups are [${snap.groups.join(', ')}]`);
  if (!sameSet(snap.managedPolicies, state.managedPolicies)) {
    diffs.push(`managed policies are [${snap.managedPolicies.join(', ')}]`);
  }
  const inline = Object.keys(snap.inlinePolicies);
  if (
    !sameSet(inline, Object.keys(state.inlinePolicies)) ||
    Object.entries(state.inlinePolicies).some(([n, d]) => !sameJson(snap.inlinePolicies[n] ?? '', d))
  ) {
    diffs.push(`inline policies are [${inline.join(', ')}]`);
  }
  if ((snap.permissionBoundary ?? undefined) !== state.permissionBoundary) {
    diffs.push(`permission boundary is ${snap.permissionBoundary ?? 'none'}`);
  }
  if (snap.hasLoginProfile !== state.console)
    diffs.push(snap.hasLoginProfile ? 'has console access' : 'has no console access');
  return diffs;
}
