import { CreateUserCommand } from '@aws-sdk/client-identitystore';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreatePermissionSetCommand,
  ListInstancesCommand,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignmentsOfUser,
  createAssignment,
  deleteAssignment,
  hasUserAssignment,
  listAssignments,
} from '../../../src/core/identity-center/assignments.js';
import { AssignmentFailedError } from '../../../src/errors.js';
import { testConfig, testCtx } from '../../helpers/core.js';
import { type Moto, startMoto } from '../../helpers/moto.js';

let moto: Moto;
let account = '';
let psArn = '';
let userId = '';

beforeAll(async () => {
  moto = await startMoto();
  const org: OrganizationsClient = moto.organizations();
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const created = await org.send(new CreateAccountCommand({ AccountName: 'dev', Email: 'dev@example.com' }));
  account = created.CreateAccountStatus?.AccountId ?? '';
  const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
  const ps = await moto
    .ssoAdmin()
    .send(new CreatePermissionSetCommand({ InstanceArn: inst?.InstanceArn, Name: 'Admin' }));
  psArn = ps.PermissionSet?.PermissionSetArn ?? '';
  const u = await moto.identityStore().send(
    new CreateUserCommand({
      IdentityStoreId: inst?.IdentityStoreId,
      UserName: 'alice',
      DisplayName: 'Alice',
      Name: { GivenName: 'Alice', FamilyName: 'A' },
    }),
  );
  userId = u.UserId ?? '';
});
afterAll(async () => {
  await moto.stop();
});

const icConfig = () => testConfig({ identity_center: { region: 'us-east-1' } });

describe('account assignments against moto', () => {
  it('creates, lists and deletes a USER assignment', async () => {
    const ctx = testCtx(moto, { config: icConfig() });
    const a = { account, permissionSetArn: psArn, principalId: userId };
    expect(await hasUserAssignment(ctx, a)).toBe(false);
    await createAssignment(ctx, a);
    expect(await hasUserAssignment(ctx, a)).toBe(true);
    expect(await listAssignments(ctx, a)).toEqual([{ ...a, principalType: 'USER' }]);
    expect(await assignmentsOfUser(ctx, userId)).toEqual([{ ...a, principalType: 'USER' }]);
    await deleteAssignment(ctx, a);
    expect(await hasUserAssignment(ctx, a)).toBe(false);
  });
});

/** AWS, unlike moto, answers IN_PROGRESS first; only the status call says when it is done, or why it failed. */
function stubbedCtx(statuses: { Status: string; FailureReason?: string }[]) {
  const ctx = testCtx(moto, { config: icConfig() });
  const sent: string[] = [];
  const waits: number[] = [];
  const fake = {
    send: async (cmd: { constructor: { name: string } }) => {
      const name = cmd.constructor.name;
      sent.push(name);
      if (name === 'ListInstancesCommand')
        return {
          Instances: [
            {
              InstanceArn: 'arn:aws:sso:::instance/ssoins-1111111111111111',
              IdentityStoreId: 'd-1111111111',
            },
          ],
        };
      if (name === 'CreateAccountAssignmentCommand')
        return { AccountAssignmentCreationStatus: { Status: 'IN_PROGRESS', RequestId: 'req-1' } };
      if (name === 'DeleteAccountAssignmentCommand')
        return { AccountAssignmentDeletionStatus: { Status: 'IN_PROGRESS', RequestId: 'req-2' } };
      const next = statuses.shift() ?? { Status: 'IN_PROGRESS' };
      const status = { ...next, RequestId: name.includes('Creation') ? 'req-1' : 'req-2' };
      return name.includes('Creation')
        ? { AccountAssignmentCreationStatus: status }
        : { AccountAssignmentDeletionStatus: status };
    },
  } as unknown as SSOAdminClient;
  ctx.clients.ssoAdmin = () => fake;
  ctx.sleep = async (ms) => {
    waits.push(ms);
  };
  return { ctx, sent, waits };
}

describe('account assignments as AWS provisions them (stubbed: asynchronous)', () => {
  const a = { account: '222222222222', permissionSetArn: 'arn:ps', principalId: 'u-1' };

  it('polls the creation status, backing off, until SUCCEEDED', async () => {
    const { ctx, sent, waits } = stubbedCtx([
      { Status: 'IN_PROGRESS' },
      { Status: 'IN_PROGRESS' },
      { Status: 'SUCCEEDED' },
    ]);
    await createAssignment(ctx, a);
    expect(sent.filter((s) => s === 'DescribeAccountAssignmentCreationStatusCommand')).toHaveLength(3);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('reports FAILED with AWS reason, for a deletion too', async () => {
    const { ctx } = stubbedCtx([
      { Status: 'IN_PROGRESS' },
      { Status: 'FAILED', FailureReason: 'Received a 404 status error: Not supported account' },
    ]);
    const err = await deleteAssignment(ctx, a).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssignmentFailedError);
    expect((err as AssignmentFailedError).message).toBe(
      'Identity Center could not delete the account assignment: Received a 404 status error: Not supported account',
    );
  });

  it('gives up after the timeout, saying it may yet finish', async () => {
    const { ctx, waits } = stubbedCtx([]);
    await expect(createAssignment(ctx, a, { timeoutMs: 10_000 })).rejects.toThrow(
      /still IN_PROGRESS after 10 s \(request req-1\); it may yet finish/,
    );
    expect(waits.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(10_000);
  });
});
