import {
  GetGroupCommand,
  GetPolicyCommand,
  type IAMClient,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { ValidationError } from '../../errors.js';
import type { DesiredState } from '../templates.js';

/**
 * Remembers which groups and policies exist, per account, for one run (a bulk import asks IAM once per
 * group, not once per user). Promises are cached so concurrent rows share one in-flight lookup.
 */
export class ExistenceCache {
  private readonly known = new Map<string, Promise<boolean>>();
  lookups = 0;

  private check(key: string, probe: () => Promise<unknown>): Promise<boolean> {
    let p = this.known.get(key);
    if (!p) {
      this.lookups++;
      p = probe().then(
        () => true,
        (err) => {
          if (err instanceof NoSuchEntityException) return false;
          this.known.delete(key);
          throw err;
        },
      );
      this.known.set(key, p);
    }
    return p;
  }

  group(iam: IAMClient, account: string, name: string): Promise<boolean> {
    return this.check(`${account}|g|${name}`, () =>
      iam.send(new GetGroupCommand({ GroupName: name, MaxItems: 1 })),
    );
  }

  policy(iam: IAMClient, account: string, arn: string): Promise<boolean> {
    return this.check(`${account}|p|${arn}`, () => iam.send(new GetPolicyCommand({ PolicyArn: arn })));
  }
}

/** Groups, policies and the boundary must exist before anything is created. */
export async function checkRemote(
  iam: IAMClient,
  account: string,
  state: Pick<DesiredState, 'groups' | 'managedPolicies' | 'permissionBoundary'>,
  cache: ExistenceCache,
): Promise<void> {
  const groups = await Promise.all(
    state.groups.map(async (g) => [g, await cache.group(iam, account, g)] as const),
  );
  const missingGroups = groups.filter(([, ok]) => !ok).map(([g]) => g);
  if (missingGroups.length > 0) {
    throw new ValidationError(
      'groups',
      `unknown group${missingGroups.length > 1 ? 's' : ''} ${missingGroups.map((g) => `"${g}"`).join(', ')} in account ${account}`,
      'create the group in IAM first, or fix the template/row',
    );
  }
  const arns = [...state.managedPolicies, ...(state.permissionBoundary ? [state.permissionBoundary] : [])];
  const policies = await Promise.all(
    arns.map(async (p) => [p, await cache.policy(iam, account, p)] as const),
  );
  const missing = policies.filter(([, ok]) => !ok).map(([p]) => p);
  if (missing.length > 0) {
    throw new ValidationError(
      'policies',
      `unknown polic${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')} in account ${account}`,
      'check the ARN in the template',
    );
  }
}
