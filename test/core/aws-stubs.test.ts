import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteConflictException,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetAccountAuthorizationDetailsCommand,
  GetGroupCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  InvalidAuthenticationCodeException,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListMFADeviceTagsCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListVirtualMFADevicesCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Auditor, MemoryAuditSink } from '../../src/core/audit.js';
import { AccountClients } from '../../src/core/aws/accounts.js';
import { fixedClock, systemClock } from '../../src/core/clock.js';
import type { CoreContext } from '../../src/core/context.js';
import { completeMfaEnrollment, startMfaEnrollment, sweepAbandonedMfa } from '../../src/core/mfa.js';
import { createUser } from '../../src/core/users/create.js';
import { deleteUser } from '../../src/core/users/delete.js';
import { describeUser } from '../../src/core/users/describe.js';
import { ValidationError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig, who } from '../helpers/core.js';
import { MOTO_ACCOUNT } from '../helpers/moto.js';

/** Where moto differs from AWS, the AWS behaviour is pinned here with stubbed responses. */
const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

function stubCtx(): CoreContext & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    config: testConfig(),
    clients: new AccountClients([], {
      homeAccountId: MOTO_ACCOUNT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
    auditor: new Auditor(new MemoryAuditSink(), systemClock, silentLogger()),
    clock: systemClock,
    logger: silentLogger(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    sleeps,
  };
}

const noSuch = () =>
  new NoSuchEntityException({ message: 'The user with name u cannot be found.', $metadata: {} });

const noCredentials = () => {
  iam.on(ListSigningCertificatesCommand).resolves({ Certificates: [] });
  iam.on(ListSSHPublicKeysCommand).resolves({ SSHPublicKeys: [] });
  iam.on(ListServiceSpecificCredentialsCommand).resolves({ ServiceSpecificCredentials: [] });
  iam.on(ListMFADevicesCommand).resolves({ MFADevices: [] });
  iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
  iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
};

describe('DeleteUser DeleteConflict (AWS raises it for keys, groups and login profiles; moto does not)', () => {
  it('re-lists what appeared meanwhile, removes it and retries DeleteUser with backoff', async () => {
    const ctx = stubCtx();
    iam.on(GetUserCommand).resolves({
      User: { UserName: 'u', Arn: 'arn:aws:iam::1:user/u', UserId: 'X', Path: '/', CreateDate: new Date() },
    });
    noCredentials();
    // First listing: nothing but a login profile; a key and a group "appear" before DeleteUser (a race).
    iam
      .on(GetLoginProfileCommand)
      .resolvesOnce({ LoginProfile: { UserName: 'u', CreateDate: new Date() } })
      .rejects(noSuch());
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [] })
      .resolves({ AccessKeyMetadata: [{ AccessKeyId: 'AKIA1', UserName: 'u', Status: 'Active' }] });
    iam
      .on(ListGroupsForUserCommand)
      .resolvesOnce({ Groups: [] })
      .resolves({
        Groups: [
          { GroupName: 'G', GroupId: 'g', Arn: 'arn:aws:iam::1:group/G', Path: '/', CreateDate: new Date() },
        ],
      });
    iam.on(DeleteLoginProfileCommand).resolves({});
    iam.on(DeleteAccessKeyCommand).resolves({});
    iam.on(RemoveUserFromGroupCommand).resolves({});
    iam
      .on(DeleteUserCommand)
      .rejectsOnce(
        new DeleteConflictException({
          message: 'Cannot delete entity, must delete access keys first.',
          $metadata: {},
        }),
      )
      .resolves({});
    const r = await deleteUser(ctx, { account: MOTO_ACCOUNT, username: 'u' }, who);
    expect(r.status).toBe('deleted');
    expect(r.removed).toEqual(['DeleteLoginProfile u', 'DeleteAccessKey AKIA1', 'RemoveUserFromGroup G']);
    expect(iam.commandCalls(DeleteUserCommand)).toHaveLength(2);
    expect(ctx.sleeps.length).toBeGreaterThan(0);
  });

  it('gives up after the configured rounds with a StepFailedError naming DeleteUser', async () => {
    const ctx = stubCtx();
    iam
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'u', Arn: 'a', UserId: 'X', Path: '/', CreateDate: new Date() } });
    noCredentials();
    iam.on(GetLoginProfileCommand).rejects(noSuch());
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(ListGroupsForUserCommand).resolves({ Groups: [] });
    iam.on(DeleteUserCommand).rejects(new DeleteConflictException({ message: 'conflict', $metadata: {} }));
    await expect(
      deleteUser(ctx, { account: MOTO_ACCOUNT, username: 'u' }, who, { attempts: 3 }),
    ).rejects.toThrow(/step "DeleteUser" failed/);
    expect(iam.commandCalls(DeleteUserCommand)).toHaveLength(3);
  });
});

describe('Marker pagination (moto returns one page)', () => {
  it('describeUser follows Marker on every list call', async () => {
    const ctx = stubCtx();
    iam.on(GetUserCommand).resolves({
      User: {
        UserName: 'u',
        Arn: 'a',
        UserId: 'X',
        Path: '/',
        CreateDate: new Date(),
        Tags: [{ Key: 'Email', Value: 'u@x.io' }],
      },
    });
    iam.on(GetLoginProfileCommand).rejects(noSuch());
    iam.on(ListMFADevicesCommand).resolves({ MFADevices: [] });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    const group = (n: string) => ({ GroupName: n, GroupId: n, Arn: n, Path: '/', CreateDate: new Date() });
    iam
      .on(ListGroupsForUserCommand, { UserName: 'u', Marker: undefined })
      .resolves({ Groups: [group('A')], IsTruncated: true, Marker: 'm1' })
      .on(ListGroupsForUserCommand, { UserName: 'u', Marker: 'm1' })
      .resolves({ Groups: [group('B')], IsTruncated: false });
    iam
      .on(ListAttachedUserPoliciesCommand, { UserName: 'u', Marker: undefined })
      .resolves({ AttachedPolicies: [{ PolicyArn: 'p1' }], IsTruncated: true, Marker: 'x' })
      .on(ListAttachedUserPoliciesCommand, { UserName: 'u', Marker: 'x' })
      .resolves({ AttachedPolicies: [{ PolicyArn: 'p2' }], IsTruncated: false });
    const snap = await describeUser(ctx, MOTO_ACCOUNT, 'u');
    expect(snap.groups).toEqual(['A', 'B']);
    expect(snap.managedPolicies).toEqual(['p1', 'p2']);
    expect(snap.tags).toEqual({ Email: 'u@x.io' });
  });

  it('the account-wide listing used by sweeps pages through GetAccountAuthorizationDetails', async () => {
    // covered in directory.test.ts; here we check sweeps use it (no ListUsers without Marker)
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [], IsTruncated: false });
    const { sweepOffboarded } = await import('../../src/core/users/offboard.js');
    expect(await sweepOffboarded(stubCtx(), {}, who)).toEqual({ deleted: [], failed: [] });
    expect(iam.commandCalls(GetAccountAuthorizationDetailsCommand)).toHaveLength(1);
  });
});

describe('PasswordResetRequired (moto ignores it)', () => {
  it('createUser asks AWS for a reset at first sign-in, with a policy-compliant password', async () => {
    const ctx = stubCtx();
    iam.on(GetGroupCommand).resolves({
      Group: { GroupName: 'g', GroupId: 'g', Arn: 'a', Path: '/', CreateDate: new Date() },
      Users: [],
    });
    iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'p' } });
    iam.on(CreateUserCommand).resolves({
      User: {
        UserName: 'jane',
        Arn: 'arn:aws:iam::1:user/jane',
        UserId: 'X',
        Path: '/',
        CreateDate: new Date(),
      },
    });
    iam.on(AddUserToGroupCommand).resolves({});
    iam.on(AttachUserPolicyCommand).resolves({});
    iam.on(PutUserPolicyCommand).resolves({});
    iam
      .on(CreateLoginProfileCommand)
      .resolves({ LoginProfile: { UserName: 'jane', CreateDate: new Date(), PasswordResetRequired: true } });
    const r = await createUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'jane', email: 'jane@example.com', template: 'developer' },
      who,
    );
    const call = iam.commandCalls(CreateLoginProfileCommand)[0]?.args[0].input;
    expect(call?.PasswordResetRequired).toBe(true);
    expect(call?.Password).toBe(r.password);
  });
});

describe('eventual consistency (a new user is not visible at once on AWS)', () => {
  it('retries the first use of a new user on NoSuchEntity, and rolls back if a step keeps failing', async () => {
    const ctx = stubCtx();
    iam.on(GetGroupCommand).resolves({
      Group: { GroupName: 'g', GroupId: 'g', Arn: 'a', Path: '/', CreateDate: new Date() },
      Users: [],
    });
    iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'p' } });
    iam
      .on(CreateUserCommand)
      .resolves({ User: { UserName: 'jane', Arn: 'arn', UserId: 'X', Path: '/', CreateDate: new Date() } });
    iam.on(AddUserToGroupCommand).rejectsOnce(noSuch()).resolves({});
    iam.on(AttachUserPolicyCommand).resolves({});
    iam.on(PutUserPolicyCommand).resolves({});
    iam.on(CreateLoginProfileCommand).resolves({});
    const r = await createUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'jane', email: 'jane@example.com', template: 'developer' },
      who,
    );
    expect(r.status).toBe('created');
    expect(iam.commandCalls(AddUserToGroupCommand)).toHaveLength(3); // 1 retried + 1 for the second group
    expect(ctx.sleeps.length).toBe(1);

    iam.reset();
    iam.on(GetGroupCommand).resolves({
      Group: { GroupName: 'g', GroupId: 'g', Arn: 'a', Path: '/', CreateDate: new Date() },
      Users: [],
    });
    iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'p' } });
    iam
      .on(CreateUserCommand)
      .resolves({ User: { UserName: 'jane', Arn: 'arn', UserId: 'X', Path: '/', CreateDate: new Date() } });
    iam.on(AddUserToGroupCommand).resolves({});
    iam.on(RemoveUserFromGroupCommand).resolves({});
    iam.on(DeleteUserCommand).resolves({});
    iam.on(AttachUserPolicyCommand).rejects(new Error('boom'));
    const err = await createUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'jane', email: 'jane@example.com', template: 'developer' },
      who,
    ).catch((e) => e);
    expect(err.message).toMatch(
      /step "AttachUserPolicy arn:aws:iam::aws:policy\/AmazonEC2FullAccess" failed: boom; rolled back: AddUserToGroup ReadOnly, AddUserToGroup Developers, CreateUser jane/,
    );
    expect(iam.commandCalls(DeleteUserCommand)).toHaveLength(1);
  });
});

describe('rollback under throttling', () => {
  it('retries a throttled undo so a failed create does not leave a half-made user', async () => {
    const ctx = stubCtx();
    iam.on(GetGroupCommand).resolves({
      Group: { GroupName: 'g', GroupId: 'g', Arn: 'a', Path: '/', CreateDate: new Date() },
      Users: [],
    });
    iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'p' } });
    iam
      .on(CreateUserCommand)
      .resolves({ User: { UserName: 'jane', Arn: 'arn', UserId: 'X', Path: '/', CreateDate: new Date() } });
    iam.on(AddUserToGroupCommand).resolves({});
    iam
      .on(AttachUserPolicyCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    iam
      .on(RemoveUserFromGroupCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
      .resolves({});
    iam.on(DeleteUserCommand).resolves({});
    const err = await createUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'jane', email: 'jane@example.com', template: 'developer' },
      who,
    ).catch((e) => e);
    expect(err.rolledBack).toEqual([
      'AddUserToGroup ReadOnly',
      'AddUserToGroup Developers',
      'CreateUser jane',
    ]);
    expect(err.rollbackFailures).toEqual([]);
    expect(iam.commandCalls(RemoveUserFromGroupCommand)).toHaveLength(3);
  });
});

describe('sweepAbandonedMfa (AWS tags MFA devices; moto does not)', () => {
  it('deletes only unassigned devices this tool created more than N minutes ago', async () => {
    const ctx = stubCtx();
    const old = new Date(Date.now() - 60 * 60_000).toISOString();
    const fresh = new Date().toISOString();
    iam.on(ListVirtualMFADevicesCommand).resolves({
      VirtualMFADevices: [
        { SerialNumber: 'arn:aws:iam::1:mfa/old' },
        { SerialNumber: 'arn:aws:iam::1:mfa/fresh', Tags: [{ Key: 'aws-user:created-at', Value: fresh }] },
        { SerialNumber: 'arn:aws:iam::1:mfa/theirs' },
      ],
    });
    iam
      .on(ListMFADeviceTagsCommand, { SerialNumber: 'arn:aws:iam::1:mfa/old' })
      .resolves({ Tags: [{ Key: 'aws-user:created-at', Value: old }] })
      .on(ListMFADeviceTagsCommand, { SerialNumber: 'arn:aws:iam::1:mfa/theirs' })
      .resolves({ Tags: [] });
    iam.on(DeleteVirtualMFADeviceCommand).resolves({});
    const r = await sweepAbandonedMfa(ctx, { olderThanMinutes: 30 }, who);
    expect(r).toEqual({ deleted: ['arn:aws:iam::1:mfa/old'], failed: [] });
    expect(iam.commandCalls(DeleteVirtualMFADeviceCommand).map((c) => c.args[0].input.SerialNumber)).toEqual([
      'arn:aws:iam::1:mfa/old',
    ]);
  });
});

describe('MFA devices carry the tag the sweep reads (AWS keeps device tags; moto does not)', () => {
  it("tags a device at enrollment with the clock's time, and the sweep deletes it once abandoned, in every managed account", async () => {
    const clock = fixedClock(new Date('2026-03-01T10:00:00Z'));
    const other = { id: '210987654321', name: 'ops', region: 'us-east-1' };
    const clients = new AccountClients([{ id: MOTO_ACCOUNT, name: 'main', region: 'us-east-1' }, other], {
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const ctx = {
      ...stubCtx(),
      clients,
      clock,
      auditor: new Auditor(new MemoryAuditSink(), clock, silentLogger()),
    };
    const serial = `arn:aws:iam::${MOTO_ACCOUNT}:mfa/sam`;
    iam
      .on(GetUserCommand)
      .resolves({ User: { UserName: 'sam', UserId: 'x', Arn: 'a', Path: '/', CreateDate: new Date() } });
    iam.on(ListMFADevicesCommand).resolves({ MFADevices: [] });
    iam.on(CreateVirtualMFADeviceCommand).resolves({
      VirtualMFADevice: {
        SerialNumber: serial,
        Base32StringSeed: new TextEncoder().encode('JBSWY3DPEHPK3PXP'),
      },
    });
    await startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    const sent = iam.commandCalls(CreateVirtualMFADeviceCommand)[0]?.args[0].input;
    expect(sent?.Tags).toEqual([{ Key: 'aws-user:created-at', Value: '2026-03-01T10:00:00.000Z' }]);

    // As AWS answers: ListVirtualMFADevices without tags, ListMFADeviceTags with what was written.
    iam.on(ListVirtualMFADevicesCommand).resolves({ VirtualMFADevices: [{ SerialNumber: serial }] });
    iam.on(ListMFADeviceTagsCommand, { SerialNumber: serial }).resolves({ Tags: sent?.Tags });
    iam.on(DeleteVirtualMFADeviceCommand).resolves({});
    clock.advance(10 * 60_000);
    expect(await sweepAbandonedMfa(ctx, { olderThanMinutes: 30 }, who)).toEqual({ deleted: [], failed: [] });
    clock.advance(30 * 60_000);
    const r = await sweepAbandonedMfa(ctx, { olderThanMinutes: 30 }, who);
    expect(r.failed).toEqual([]);
    expect(r.deleted).toEqual([serial, serial]); // the stub answers the same device for both accounts
    expect(iam.commandCalls(ListVirtualMFADevicesCommand)).toHaveLength(4);
  });
});

describe('EnableMFADevice with wrong codes (moto accepts any)', () => {
  it('turns InvalidAuthenticationCode into a ValidationError on "codes"', async () => {
    const ctx = stubCtx();
    iam.on(ListMFADevicesCommand).resolves({ MFADevices: [] });
    iam.on(EnableMFADeviceCommand).rejects(
      new InvalidAuthenticationCodeException({
        message: 'Authentication code for device is not valid.',
        $metadata: {},
      }),
    );
    const err = await completeMfaEnrollment(
      ctx,
      {
        account: MOTO_ACCOUNT,
        username: 'u',
        serialNumber: 'arn:aws:iam::1:mfa/u',
        code1: '123456',
        code2: '654321',
      },
      who,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe('codes');
    expect(err.message).toMatch(/did not match/);
    expect(iam.commandCalls(EnableMFADeviceCommand)).toHaveLength(1);
  });
});
