import { DescribeUserCommand, ResourceNotFoundException } from '@aws-sdk/client-identitystore';
import {
  DescribePermissionSetCommand,
  paginateListAccountsForProvisionedPermissionSet,
  paginateListPermissionSets,
} from '@aws-sdk/client-sso-admin';
import pLimit from 'p-limit';
import { errorMessage } from '../../errors.js';
import { collect } from '../aws/paging.js';
import type { CoreContext } from '../context.js';
import { listAssignments } from '../identity-center/assignments.js';
import { identityCenter } from '../identity-center/directory.js';
import type { IcAssignment, IcScope } from './snapshot.js';

/**
 * Every USER account assignment of the instance in the campaign's accounts: each permission set
 * (ListPermissionSets, DescribePermissionSet for its name), the accounts AWS has it provisioned in
 * (ListAccountsForProvisionedPermissionSet: every account an assignment can be in), then
 * ListAccountAssignments per account in scope. Group assignments are not people and are left out. What
 * cannot be read is returned as an error for the accounts it concerns, never as "no assignments".
 */
export async function readIcScope(ctx: CoreContext, accounts: readonly string[]): Promise<IcScope> {
  const errors: { account?: string; error: string }[] = [];
  const scope = new Set(accounts);
  const ic = identityCenter(ctx);
  const limit = pLimit(Math.max(1, ctx.config.inactivity.concurrency));
  let instanceArn: string;
  let identityStoreId: string;
  let setArns: string[];
  try {
    ({ instanceArn, identityStoreId } = await ic.instance());
    setArns = await collect(
      paginateListPermissionSets({ client: ic.ssoAdmin() }, { InstanceArn: instanceArn }),
      (p) => p.PermissionSets,
    );
  } catch (err) {
    return { assignments: [], errors: [{ error: `listing the permission sets: ${errorMessage(err)}` }] };
  }
  const sso = ic.ssoAdmin();
  const found: (Omit<IcAssignment, 'user'> & { principalId: string })[] = [];
  const userIds = new Set<string>();
  await Promise.all(
    setArns.map((arn) =>
      limit(async () => {
        let name: string;
        let provisioned: string[];
        try {
          const d = await sso.send(
            new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }),
          );
          name = d.PermissionSet?.Name ?? arn;
          provisioned = await collect(
            paginateListAccountsForProvisionedPermissionSet(
              { client: sso },
              { InstanceArn: instanceArn, PermissionSetArn: arn },
            ),
            (p) => p.AccountIds,
          );
        } catch (err) {
          errors.push({ error: `permission set ${arn}: ${errorMessage(err)}` });
          return;
        }
        for (const account of provisioned.filter((a) => scope.has(a))) {
          try {
            for (const a of await listAssignments(ctx, { account, permissionSetArn: arn })) {
              if (a.principalType !== 'USER') continue;
              userIds.add(a.principalId);
              found.push({
                account,
                permissionSetArn: arn,
                permissionSetName: name,
                principalId: a.principalId,
              });
            }
          } catch (err) {
            errors.push({ account, error: `permission set ${name}: ${errorMessage(err)}` });
          }
        }
      }),
    ),
  );
  const users = new Map<string, IcAssignment['user']>();
  await Promise.all(
    [...userIds].map((id) =>
      limit(async () => {
        try {
          const u = await ic
            .identityStore()
            .send(new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: id }));
          const email = (u.Emails?.find((e) => e.Primary) ?? u.Emails?.[0])?.Value;
          users.set(id, { id, userName: u.UserName ?? id, ...(email ? { email } : {}) });
        } catch (err) {
          // An assignment can outlive its user: it is still access to certify, named by its id.
          users.set(id, { id, userName: id });
          if (!(err instanceof ResourceNotFoundException))
            for (const account of new Set(found.filter((f) => f.principalId === id).map((f) => f.account)))
              errors.push({ account, error: `Identity Store user ${id}: ${errorMessage(err)}` });
        }
      }),
    ),
  );
  return {
    assignments: found.map(({ principalId, ...rest }) => ({
      ...rest,
      user: users.get(principalId) ?? { id: principalId, userName: principalId },
    })),
    errors,
  };
}
