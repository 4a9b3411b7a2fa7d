import { CreateUserCommand as CreateIamUserCommand } from '@aws-sdk/client-iam';
import { CreateGroupCommand, CreateUserCommand } from '@aws-sdk/client-identitystore';
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  ListInstancesCommand,
  ProvisionPermissionSetCommand,
} from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCampaign } from '../../../src/core/review/campaign.js';
import { readIcScope } from '../../../src/core/review/identity-center.js';
import { IC_EVIDENCE_NOTE } from '../../../src/core/review/snapshot.js';
import { MemoryReviewStore } from '../../../src/store/review-store-memory.js';
import { testConfig, testCtx } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

/**
 * Identity Center items against moto's sso-admin and identitystore: every USER assignment of every
 * permission set provisioned in an account in scope; group assignments are not people. (moto provisions a
 * set to its own management account only, so the assignments live there.)
 */
let moto: Moto;
let instanceArn = '';
let storeId = '';
let admin = '';
let readOnly = '';
let alice = '';
let bob = '';

beforeAll(async () => {
  moto = await startMoto();
  const sso = moto.ssoAdmin();
  const inst = (await sso.send(new ListInstancesCommand({}))).Instances?.[0];
  instanceArn = inst?.InstanceArn ?? '';
  storeId = inst?.IdentityStoreId ?? '';
  const ps = async (Name: string) => {
    const arn =
      (await sso.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name }))).PermissionSet
        ?.PermissionSetArn ?? '';
    await sso.send(
      new ProvisionPermissionSetCommand({
        InstanceArn: instanceArn,
        PermissionSetArn: arn,
        TargetType: 'ALL_PROVISIONED_ACCOUNTS',
      }),
    );
    return arn;
  };
  admin = await ps('Admin');
  readOnly = await ps('ReadOnly');
  await ps('Unused');
  const user = async (UserName: string, email?: string) =>
    (
      await moto.identityStore().send(
        new CreateUserCommand({
          IdentityStoreId: storeId,
          UserName,
          DisplayName: UserName,
          Name: { GivenName: UserName, FamilyName: 'X' },
          ...(email ? { Emails: [{ Value: email, Type: 'work', Primary: true }] } : {}),
        }),
      )
    ).UserId ?? '';
  alice = await user('alice', 'alice@example.com');
  bob = await user('bob');
  const ops =
    (
      await moto
        .identityStore()
        .send(new CreateGroupCommand({ IdentityStoreId: storeId, DisplayName: 'ops' }))
    ).GroupId ?? '';
  const assign = (psArn: string, PrincipalId: string, PrincipalType: 'USER' | 'GROUP' = 'USER') =>
    sso.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: instanceArn,
        TargetId: MOTO_ACCOUNT,
        TargetType: 'AWS_ACCOUNT',
        PermissionSetArn: psArn,
        PrincipalType,
        PrincipalId,
      }),
    );
  await assign(admin, alice);
  await assign(readOnly, alice);
  await assign(readOnly, bob);
  await assign(admin, ops, 'GROUP');
  await moto.iam().send(new CreateIamUserCommand({ UserName: 'bob' }));
});
afterAll(async () => {
  await moto?.stop();
});

const config = () => testConfig({ identity_center: { region: 'us-east-1' } });

describe('Identity Center items against moto', () => {
  it('reads every USER assignment in the accounts in scope, with the Identity Store name and email', async () => {
    const ctx = testCtx(moto, { config: config() });
    const scope = await readIcScope(ctx, [MOTO_ACCOUNT]);
    expect(scope.errors).toEqual([]);
    const rows = scope.assignments
      .map((a) => `${a.account} ${a.permissionSetName} ${a.user.userName} ${a.user.email ?? '-'}`)
      .sort();
    expect(rows).toEqual([
      `${MOTO_ACCOUNT} Admin alice alice@example.com`,
      `${MOTO_ACCOUNT} ReadOnly alice alice@example.com`,
      `${MOTO_ACCOUNT} ReadOnly bob -`,
    ]);
    expect(scope.assignments.find((a) => a.user.userName === 'bob')).toMatchObject({
      permissionSetArn: readOnly,
      user: { id: bob },
    });
    // An account out of scope: nothing is listed there.
    expect((await readIcScope(ctx, ['999999999999'])).assignments).toEqual([]);
  });

  it('puts them in the campaign beside the IAM items, in order, with the no-sign-in-time note', async () => {
    const ctx = testCtx(moto, { config: config() });
    const store = new MemoryReviewStore();
    const { campaign, summary } = await startCampaign(ctx, store, { createdBy: 'job:access-review' });
    const items = await store.items(campaign.id);
    expect(
      items.map((i) => `${i.principal.kind} ${i.principal.name} ${i.entitlement.kind} ${i.entitlement.name}`),
    ).toEqual([
      'identity-center-user alice permission-set Admin',
      'identity-center-user alice permission-set ReadOnly',
      'identity-center-user bob permission-set ReadOnly',
    ]);
    expect(items[0]).toMatchObject({
      account: MOTO_ACCOUNT,
      principal: { id: alice, email: 'alice@example.com' },
      entitlement: { permissionSetArn: admin },
      evidence: { unused: false, note: IC_EVIDENCE_NOTE },
    });
    // The IAM user bob has no entitlement to certify; the Identity Center bob is one person, alice another.
    expect(summary).toMatchObject({
      people: 2,
      items: 3,
      byKind: expect.objectContaining({ 'permission-set': 3 }),
    });
    expect(campaign.accounts).toEqual([expect.objectContaining({ id: MOTO_ACCOUNT, ok: true })]);
    expect(campaign.accounts[0]?.error).toBeUndefined();
  });

  it('names what it could not read instead of starting a campaign that silently lacks it', async () => {
    const ctx = testCtx(moto, {
      config: testConfig({
        // An instance ListInstances does not know: the lookup fails as a wrong config would.
        identity_center: {
          region: 'us-east-1',
          instance_arn: 'arn:aws:sso:::instance/ssoins-0000000000000000',
        },
      }),
    });
    const store = new MemoryReviewStore();
    const { campaign } = await startCampaign(ctx, store, { createdBy: 'cli:tester' });
    expect(campaign.accounts[0]).toMatchObject({
      ok: true,
      error: expect.stringMatching(
        /^Identity Center assignments could not be read: listing the permission sets: invalid configuration .* identity_center\.instance_arn: .*ssoins-0000000000000000 is not among/,
      ),
    });
  });
});
