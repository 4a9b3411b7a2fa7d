import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateUserCommand as CreateIdentityUserCommand } from '@aws-sdk/client-identitystore';
import { CreateAccountCommand, CreateOrganizationCommand } from '@aws-sdk/client-organizations';
import { CreatePermissionSetCommand, ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAssignment, hasUserAssignment } from '../../../src/core/identity-center/assignments.js';
import { type RevokeInput, revokeEntitlement } from '../../../src/core/review/revoke.js';
import { ConflictError, ValidationError } from '../../../src/errors.js';
import { createGroups, MUTATING, testConfig, testCtx, who } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

let moto: Moto;
const POLICY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
});

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const iamUser = { kind: 'iam-user' as const, name: 'alice' };
const input = (entitlement: RevokeInput['entitlement']): RevokeInput => ({
  account: MOTO_ACCOUNT,
  principal: iamUser,
  entitlement,
});

describe('revoking one IAM entitlement against moto', () => {
  let keys: { id: string; createdAt: string }[] = [];

  beforeEach(async () => {
    await moto.reset();
    const iam = moto.iam();
    await createGroups(iam, ['Developers', 'ReadOnly']);
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    for (const GroupName of ['Developers', 'ReadOnly'])
      await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: POLICY }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'list', PolicyDocument: DOC }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'keep', PolicyDocument: DOC }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Aa1!aaaaaaaaaaaa' }));
    keys = [];
    for (let i = 0; i < 2; i++) {
      // The credential report names a key by its creation second: two keys one second apart.
      if (i > 0) await new Promise((r) => setTimeout(r, 1100));
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
      keys.push({ id: k?.AccessKeyId ?? '', createdAt: k?.CreateDate?.toISOString() ?? '' });
    }
  });

  async function revokeTwice(entitlement: RevokeInput['entitlement']) {
    const ctx = testCtx(moto);
    const first = await revokeEntitlement(ctx, input(entitlement), who);
    const sentBefore = ctx.commands.length;
    const second = await revokeEntitlement(ctx, input(entitlement), who);
    // Already gone: the second call only looks.
    expect(ctx.commands.slice(sentBefore).filter((c) => MUTATING.test(c))).toEqual([]);
    const events = ctx.sink.events.filter((e) => e.action === 'review.revoke');
    return { first, second, events, ctx };
  }

  it('group: RemoveUserFromGroup of that group only; the second call is a noop', async () => {
    const { first, second, events } = await revokeTwice({ kind: 'group', name: 'Developers' });
    expect(first).toMatchObject({
      changed: true,
      detail: `removed alice from group Developers in ${MOTO_ACCOUNT}`,
    });
    expect(first.plan).toEqual([
      { action: 'RemoveUserFromGroup', params: { UserName: 'alice', GroupName: 'Developers' } },
    ]);
    expect(second).toEqual({
      changed: false,
      plan: [],
      detail: `alice no longer had group Developers in ${MOTO_ACCOUNT}`,
    });
    const groups = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'alice' }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['ReadOnly']);
    expect(events.map((e) => `${e.outcome}:${e.target}:${e.actor}:${e.requestId}`)).toEqual([
      'success:alice:tester:req-1',
      'noop:alice:tester:req-1',
    ]);
    expect(events[0]?.details).toMatchObject({ kind: 'group', entitlement: 'Developers' });
  });

  it('managed policy: detached by ARN', async () => {
    const { first, second } = await revokeTwice({ kind: 'managed-policy', name: POLICY });
    expect(first.changed).toBe(true);
    expect(second.changed).toBe(false);
    const attached = await moto.iam().send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
    expect(attached.AttachedPolicies).toEqual([]);
  });

  it('inline policy: that policy deleted, the other kept', async () => {
    const { first, second } = await revokeTwice({ kind: 'inline-policy', name: 'list' });
    expect(first.changed).toBe(true);
    expect(second.changed).toBe(false);
    const names = await moto.iam().send(new ListUserPoliciesCommand({ UserName: 'alice' }));
    expect(names.PolicyNames).toEqual(['keep']);
  });

  it('console: the login profile is gone (through disableConsole)', async () => {
    const { first, second, ctx } = await revokeTwice({ kind: 'console', name: 'console' });
    expect(first).toMatchObject({
      changed: true,
      detail: `disabled console sign-in of alice in ${MOTO_ACCOUNT}`,
    });
    expect(second.changed).toBe(false);
    await expect(moto.iam().send(new GetLoginProfileCommand({ UserName: 'alice' }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
    // The noop never reached disableConsole: one user.disable-console event, for the real change.
    expect(ctx.sink.events.filter((e) => e.action === 'user.disable-console').map((e) => e.outcome)).toEqual([
      'success',
    ]);
  });

  it('access key: the key created at that second is inactive, the other still active', async () => {
    const [k1, k2] = keys;
    const { first, second } = await revokeTwice({
      kind: 'access-key',
      name: 'access key 2',
      keySlot: 2,
      keyCreatedAt: k2?.createdAt ?? '',
    });
    expect(first.changed).toBe(true);
    expect(first.plan).toEqual([
      { action: 'UpdateAccessKey', params: { UserName: 'alice', AccessKeyId: k2?.id, Status: 'Inactive' } },
    ]);
    expect(second).toMatchObject({ changed: false });
    expect(second.detail).toContain('already inactive');
    const listed = await moto.iam().send(new ListAccessKeysCommand({ UserName: 'alice' }));
    const status = Object.fromEntries((listed.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]));
    expect(status).toEqual({ [k1?.id ?? '']: 'Active', [k2?.id ?? '']: 'Inactive' });
  });

  it('access key: two keys of one second are not told apart, so neither is touched', async () => {
    const ctx = testCtx(moto);
    const stamp = keys[0]?.createdAt ?? '';
    // Both keys answer as created in one second when the item's time is rounded the way both would match.
    const snapKeys = keys.map((k) => ({ ...k, createdAt: stamp }));
    const real = ctx.clients.iam(MOTO_ACCOUNT);
    const send = real.send.bind(real);
    real.send = (async (cmd: unknown) => {
      const out = await send(cmd as never);
      if (cmd instanceof ListAccessKeysCommand)
        return {
          ...out,
          AccessKeyMetadata: (
            out as { AccessKeyMetadata?: { AccessKeyId?: string }[] }
          ).AccessKeyMetadata?.map((m) => ({
            ...m,
            CreateDate: new Date(snapKeys.find((k) => k.id === m.AccessKeyId)?.createdAt ?? ''),
          })),
        };
      return out;
    }) as typeof real.send;
    await expect(
      revokeEntitlement(ctx, input({ kind: 'access-key', name: 'access key 1', keyCreatedAt: stamp }), who),
    ).rejects.toBeInstanceOf(ConflictError);
    const listed = await moto.iam().send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(listed.AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Active', 'Active']);
  });

  it('a user already deleted: noop, nothing sent but the look-up', async () => {
    const ctx = testCtx(moto);
    const out = await revokeEntitlement(
      ctx,
      { ...input({ kind: 'group', name: 'Developers' }), principal: { kind: 'iam-user', name: 'ghost' } },
      who,
    );
    expect(out).toEqual({ changed: false, plan: [], detail: `ghost no longer exists in ${MOTO_ACCOUNT}` });
    expect(ctx.commands).toEqual(['GetUser']);
    expect(ctx.sink.events.map((e) => e.outcome)).toEqual(['noop']);
  });
});

describe('bad input is refused before any AWS call', () => {
  const cases: [string, RevokeInput, string][] = [
    [
      'a bad user name',
      { ...input({ kind: 'console', name: 'console' }), principal: { kind: 'iam-user', name: 'bad name!' } },
      'principal',
    ],
    ['a group name with a slash', input({ kind: 'group', name: 'a/b' }), 'entitlement'],
    [
      'a managed policy that is not an ARN',
      input({ kind: 'managed-policy', name: 'ReadOnlyAccess' }),
      'entitlement',
    ],
    ['an inline policy name with spaces', input({ kind: 'inline-policy', name: 'my policy' }), 'entitlement'],
    [
      'an access key without its creation time',
      input({ kind: 'access-key', name: 'access key 1' }),
      'entitlement',
    ],
    [
      'a permission set on an IAM user',
      input({ kind: 'permission-set', name: 'Admin', permissionSetArn: 'x' }),
      'entitlement',
    ],
    [
      'an account the bot does not manage',
      { ...input({ kind: 'console', name: 'console' }), account: '999999999999' },
      'account',
    ],
    [
      'an Identity Center user without an id',
      {
        account: MOTO_ACCOUNT,
        principal: { kind: 'identity-center-user', name: 'alice' },
        entitlement: {
          kind: 'permission-set',
          name: 'Admin',
          permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef',
        },
      },
      'principal',
    ],
    [
      'an Identity Center user with a group',
      {
        account: MOTO_ACCOUNT,
        principal: { kind: 'identity-center-user', name: 'alice', id: 'u-1' },
        entitlement: { kind: 'group', name: 'Developers' },
      },
      'entitlement',
    ],
  ];
  it.each(cases)('%s', async (_name, bad, field) => {
    const ctx = testCtx(moto, { config: testConfig({ identity_center: { region: 'us-east-1' } }) });
    const err = await revokeEntitlement(ctx, bad, who).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect(ctx.commands).toEqual([]);
    expect(ctx.sink.events).toEqual([]);
  });
});

describe('revoking a permission set against moto', () => {
  it('DeleteAccountAssignment for the user, waited on; the second call is a noop', async () => {
    await moto.reset();
    const org = moto.organizations();
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created = await org.send(
      new CreateAccountCommand({ AccountName: 'dev', Email: 'dev@example.com' }),
    );
    const account = created.CreateAccountStatus?.AccountId ?? '';
    const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
    const ps = await moto
      .ssoAdmin()
      .send(new CreatePermissionSetCommand({ InstanceArn: inst?.InstanceArn, Name: 'Admin' }));
    const permissionSetArn = ps.PermissionSet?.PermissionSetArn ?? '';
    const user = await moto.identityStore().send(
      new CreateIdentityUserCommand({
        IdentityStoreId: inst?.IdentityStoreId,
        UserName: 'bob@example.com',
        DisplayName: 'Bob',
        Name: { GivenName: 'Bob', FamilyName: 'B' },
      }),
    );
    const principalId = user.UserId ?? '';
    const ctx = testCtx(moto, { config: testConfig({ identity_center: { region: 'us-east-1' } }) });
    const a = { account, permissionSetArn, principalId };
    await createAssignment(ctx, a);
    const item: RevokeInput = {
      account,
      principal: { kind: 'identity-center-user', name: 'bob@example.com', id: principalId },
      entitlement: { kind: 'permission-set', name: 'Admin', permissionSetArn },
    };
    const first = await revokeEntitlement(ctx, item, who);
    expect(first).toEqual({
      changed: true,
      plan: [{ action: 'DeleteAccountAssignment', params: { ...a, principalType: 'USER' } }],
      detail: `removed permission set Admin from bob@example.com in ${account}`,
    });
    expect(await hasUserAssignment(ctx, a)).toBe(false);
    const second = await revokeEntitlement(ctx, item, who);
    expect(second.changed).toBe(false);
    expect(ctx.sink.events.map((e) => `${e.action}:${e.outcome}:${e.account}`)).toEqual([
      `review.revoke:success:${account}`,
      `review.revoke:noop:${account}`,
    ]);
  });
});
