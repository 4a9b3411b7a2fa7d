import { readFileSync } from 'node:fs';
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  ListUsersCommand,
  ListVirtualMFADevicesCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Template } from '../../../src/config.js';
import { DAY_MS, fixedClock } from '../../../src/core/clock.js';
import { satisfiesPolicy } from '../../../src/core/password.js';
import { createUser, validateCreate } from '../../../src/core/users/create.js';
import { deleteUser } from '../../../src/core/users/delete.js';
import { describeUser, userExists } from '../../../src/core/users/describe.js';
import { offboardUser, sweepOffboarded } from '../../../src/core/users/offboard.js';
import { updateUser } from '../../../src/core/users/update.js';
import { ConflictError, NotFoundError, StepFailedError, ValidationError } from '../../../src/errors.js';
import { createGroups, MUTATING, type TestCtx, testConfig, testCtx, who } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

let moto: Moto;
let ctx: TestCtx;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  ctx = testCtx(moto);
  await createGroups(ctx.clients.iam(MOTO_ACCOUNT), [
    'Developers',
    'ReadOnly',
    'Administrators',
    'Finance',
    'Extra',
  ]);
  ctx.commands.length = 0;
});

const jane = {
  account: MOTO_ACCOUNT,
  username: 'jane.doe',
  email: 'jane@example.com',
  department: 'Engineering',
  manager: 'boss@example.com',
  costCenter: 'CC-42',
  slackUserId: 'U123ABC',
  template: 'developer',
};

async function listUserNames(): Promise<string[]> {
  return ((await ctx.clients.iam(MOTO_ACCOUNT).send(new ListUsersCommand({}))).Users ?? []).map(
    (u) => u.UserName ?? '',
  );
}

describe('createUser', () => {
  it('gives a developer the template groups, policies, tags, boundary-free login profile and a policy-compliant password', async () => {
    const r = await createUser(ctx, jane, who);
    expect(r.status).toBe('created');
    expect(r.password && satisfiesPolicy(r.password, ctx.config.password_policy)).toBe(true);
    const snap = await describeUser(ctx, MOTO_ACCOUNT, 'jane.doe');
    expect(snap.groups.sort()).toEqual(['Developers', 'ReadOnly']);
    expect(snap.managedPolicies.sort()).toEqual([
      'arn:aws:iam::aws:policy/AmazonEC2FullAccess',
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
    ]);
    expect(Object.keys(snap.inlinePolicies)).toEqual(['DenyIAMUserAdmin']);
    expect(snap.tags).toMatchObject({
      Email: 'jane@example.com',
      Department: 'Engineering',
      Manager: 'boss@example.com',
      CostCenter: 'CC-42',
      SlackUserId: 'U123ABC',
      AccessTier: 'standard',
      'aws-user:template': 'developer',
    });
    expect(snap.hasLoginProfile).toBe(true);
    const sent = ctx.commands.filter((c) => c === 'CreateLoginProfile');
    expect(sent).toHaveLength(1);
    expect(ctx.sink.events.at(-1)).toMatchObject({
      action: 'user.create',
      outcome: 'success',
      target: 'jane.doe',
    });
  });

  it('sets PasswordResetRequired on the login profile', async () => {
    // moto ignores the flag (see keys-and-stubs.test.ts for the stubbed AWS check); the request must carry it
    const r = await createUser(ctx, jane, who, { dryRun: true });
    expect(r.plan.find((c) => c.action === 'CreateLoginProfile')?.params).toMatchObject({
      PasswordResetRequired: true,
      Password: '<generated>',
    });
  });

  it('reports an identical existing user as unchanged and a different one as a conflict', async () => {
    await createUser(ctx, jane, who);
    const again = await createUser(ctx, jane, who);
    expect(again.status).toBe('unchanged');
    expect(again.password).toBeUndefined();
    await expect(createUser(ctx, { ...jane, department: 'Sales' }, who)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(createUser(ctx, { ...jane, template: 'readonly' }, who)).rejects.toThrow(
      /different configuration/,
    );
    await expect(validateCreate(ctx, jane)).resolves.toBeUndefined();
    await expect(validateCreate(ctx, { ...jane, email: 'other@example.com' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it.each([
    ['an invalid user name', { username: 'jane doe!' }, 'username'],
    ['a too-long user name', { username: 'x'.repeat(65) }, 'username'],
    ['an unknown template', { template: 'wizard' }, 'template'],
    ['a malformed email', { email: 'jane@' }, 'email'],
    ['an unknown group', { extraGroups: ['NoSuchGroup'] }, 'groups'],
    ['a department IAM cannot tag', { department: 'R&D <script>' }, 'department'],
  ])(
    'rejects %s with a ValidationError naming the field, leaving nothing in IAM',
    async (_n, patch, field) => {
      const err = await createUser(ctx, { ...jane, ...patch }, who).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect(await listUserNames()).toEqual([]);
      expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
    },
  );

  it('rejects an unknown policy before creating anything', async () => {
    const config = testConfig();
    config.templates.developer = {
      ...(config.templates.developer as Template),
      managed_policies: ['arn:aws:iam::aws:policy/NoSuchPolicyXyz'],
    };
    const c2 = testCtx(moto, { config });
    const err = await createUser(c2, jane, who).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(String(err.message)).toMatch(/NoSuchPolicyXyz/);
    expect(await listUserNames()).toEqual([]);
  });

  it('rolls back everything it created when a step fails mid-way, naming the step', async () => {
    // A policy that exists when checked but whose attachment fails: a customer policy deleted in between is
    // hard to time, so make an inline policy invalid instead (moto rejects malformed JSON documents).
    const config = testConfig();
    config.templates.developer = {
      ...(config.templates.developer as Template),
      inline_policies: { Broken: '{"Version": "2012-10-17", "Statement": [' },
    };
    const c2 = testCtx(moto, { config });
    const err = await createUser(c2, jane, who).catch((e) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as StepFailedError).step).toBe('PutUserPolicy Broken');
    expect((err as StepFailedError).rolledBack).toEqual([
      'AttachUserPolicy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      'AttachUserPolicy arn:aws:iam::aws:policy/AmazonEC2FullAccess',
      'AddUserToGroup ReadOnly',
      'AddUserToGroup Developers',
      'CreateUser jane.doe',
    ]);
    expect(await listUserNames()).toEqual([]);
    expect(c2.sink.events.at(-1)).toMatchObject({ outcome: 'failure', action: 'user.create' });
  });

  it('dry-run returns the plan and makes no mutating call', async () => {
    const r = await createUser(ctx, jane, who, { dryRun: true });
    expect(r.status).toBe('dry-run');
    expect(r.plan.map((c) => c.action)).toEqual([
      'CreateUser',
      'AddUserToGroup',
      'AddUserToGroup',
      'AttachUserPolicy',
      'AttachUserPolicy',
      'PutUserPolicy',
      'CreateLoginProfile',
    ]);
    expect(ctx.commands.length).toBeGreaterThan(0);
    expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
    expect(await userExists(ctx, MOTO_ACCOUNT, 'jane.doe')).toBe(false);
  });
});

describe('deleteUser', () => {
  it('after adding keys, MFA, groups, certs, SSH keys and policies, leaves nothing', async () => {
    const iam = ctx.clients.iam(MOTO_ACCOUNT);
    await createUser(ctx, jane, who);
    await iam.send(new CreateAccessKeyCommand({ UserName: 'jane.doe' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'jane.doe' }));
    await iam.send(new AddUserToGroupCommand({ UserName: 'jane.doe', GroupName: 'Extra' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'jane.doe',
        PolicyName: 'Extra',
        PolicyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}',
      }),
    );
    const dev = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'jane.doe' }));
    const serial = dev.VirtualMFADevice?.SerialNumber;
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: 'jane.doe',
        SerialNumber: serial,
        AuthenticationCode1: '123456',
        AuthenticationCode2: '654321',
      }),
    );
    await iam.send(new UploadSSHPublicKeyCommand({ UserName: 'jane.doe', SSHPublicKeyBody: SSH_KEY }));
    await iam.send(new UploadSigningCertificateCommand({ UserName: 'jane.doe', CertificateBody: CERT }));

    const r = await deleteUser(ctx, { account: MOTO_ACCOUNT, username: 'jane.doe' }, who);
    expect(r.status).toBe('deleted');
    expect(r.removed).toEqual(
      expect.arrayContaining([
        'DeleteLoginProfile jane.doe',
        `DeactivateMFADevice ${serial}`,
        'RemoveUserFromGroup Extra',
      ]),
    );
    await expect(iam.send(new GetUserCommand({ UserName: 'jane.doe' }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
    await expect(iam.send(new GetLoginProfileCommand({ UserName: 'jane.doe' }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
    const devices = await iam.send(new ListVirtualMFADevicesCommand({}));
    expect(devices.VirtualMFADevices ?? []).toEqual([]);
    expect(await listUserNames()).toEqual([]);
    expect((await deleteUser(ctx, { account: MOTO_ACCOUNT, username: 'jane.doe' }, who)).status).toBe(
      'absent',
    );
  });

  it('dry-run lists the cleanup and makes no mutating call', async () => {
    await createUser(ctx, jane, who);
    ctx.commands.length = 0;
    const r = await deleteUser(ctx, { account: MOTO_ACCOUNT, username: 'jane.doe' }, who, { dryRun: true });
    expect(r.status).toBe('dry-run');
    expect(r.plan.at(-1)?.action).toBe('DeleteUser');
    expect(r.plan[0]?.action).toBe('DeleteLoginProfile');
    expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
    expect(await userExists(ctx, MOTO_ACCOUNT, 'jane.doe')).toBe(true);
  });
});

describe('updateUser', () => {
  it('changes template: new grants in, old ones out; adds/removes groups and tags', async () => {
    await createUser(ctx, jane, who);
    const r = await updateUser(
      ctx,
      {
        account: MOTO_ACCOUNT,
        username: 'jane.doe',
        template: 'readonly',
        addGroups: ['Extra'],
        setTags: { Department: 'Support' },
        removeTags: ['Manager'],
      },
      who,
    );
    expect(r.changed).toBe(true);
    const snap = await describeUser(ctx, MOTO_ACCOUNT, 'jane.doe');
    expect(snap.groups.sort()).toEqual(['Extra', 'ReadOnly']);
    expect(snap.managedPolicies).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    expect(snap.inlinePolicies).toEqual({});
    expect(snap.tags).toMatchObject({
      Department: 'Support',
      AccessTier: 'readonly',
      'aws-user:template': 'readonly',
    });
    expect(snap.tags.Manager).toBeUndefined();
    const again = await updateUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'jane.doe', template: 'readonly' },
      who,
    );
    expect(again).toEqual({ changed: false, plan: [] });
  });

  it('names a missing user', async () => {
    await expect(
      updateUser(ctx, { account: MOTO_ACCOUNT, username: 'ghost', addGroups: ['Extra'] }, who),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('offboardUser and sweepOffboarded', () => {
  it('cuts access, records the previous configuration, and the sweep deletes after the date', async () => {
    const clock = fixedClock(new Date('2026-01-10T00:00:00Z'));
    const c = testCtx(moto, { clock });
    await createUser(c, jane, who);
    const key = await c.clients.iam(MOTO_ACCOUNT).send(new CreateAccessKeyCommand({ UserName: 'jane.doe' }));
    const r = await offboardUser(
      c,
      { account: MOTO_ACCOUNT, username: 'jane.doe', removeAfterDays: 30 },
      who,
    );
    expect(r.status).toBe('offboarded');
    expect(r.previous.groups.sort()).toEqual(['Developers', 'ReadOnly']);
    const snap = await describeUser(c, MOTO_ACCOUNT, 'jane.doe');
    expect(snap).toMatchObject({
      groups: [],
      managedPolicies: [],
      inlinePolicies: {},
      hasLoginProfile: false,
    });
    expect(snap.accessKeys).toEqual([
      expect.objectContaining({ id: key.AccessKey?.AccessKeyId, status: 'Inactive' }),
    ]);
    expect(snap.tags['aws-user:offboarded-at']).toBe('2026-01-10T00:00:00.000Z');
    expect(snap.tags['aws-user:delete-after']).toBe('2026-02-09T00:00:00.000Z');
    const event = c.sink.events.find((e) => e.action === 'user.offboard' && e.outcome === 'success');
    expect(event?.details?.previous).toMatchObject({
      groups: expect.arrayContaining(['Developers']),
      hasLoginProfile: true,
    });

    expect((await offboardUser(c, { account: MOTO_ACCOUNT, username: 'jane.doe' }, who)).status).toBe(
      'already-offboarded',
    );
    expect((await sweepOffboarded(c, {}, who)).deleted).toEqual([]);
    clock.advance(31 * DAY_MS);
    const swept = await sweepOffboarded(c, {}, who);
    expect(swept).toEqual({ deleted: [{ account: MOTO_ACCOUNT, username: 'jane.doe' }], failed: [] });
    expect(await userExists(c, MOTO_ACCOUNT, 'jane.doe')).toBe(false);
  });
});

describe('temporary users', () => {
  it('carry their end in IAM from CreateUser on, stay identical on a re-run, and lose the tag when offboarded', async () => {
    const c = testCtx(moto, { clock: fixedClock(new Date('2026-01-10T00:00:00Z')) });
    const temp = { ...jane, username: 'temp.jane' };
    const temporary = { endsAt: '2026-01-10T08:00:00.000Z', requestId: 'req-9', requester: 'UREQ' };
    expect((await createUser(c, { ...temp, temporary }, who)).status).toBe('created');
    const tagged = await describeUser(c, MOTO_ACCOUNT, 'temp.jane');
    expect(tagged.tags['aws-user:temporary-until']).toBe(
      '2026-01-10T08:00:00.000Z request:req-9 requester:UREQ',
    );
    // Executing the same request again (a crash recovery) computes a later end: still the same user.
    const again = await createUser(
      c,
      { ...temp, temporary: { ...temporary, endsAt: '2026-01-10T09:00:00.000Z' } },
      who,
    );
    expect(again.status).toBe('unchanged');
    await offboardUser(c, { account: MOTO_ACCOUNT, username: 'temp.jane' }, who);
    expect(
      (await describeUser(c, MOTO_ACCOUNT, 'temp.jane')).tags['aws-user:temporary-until'],
    ).toBeUndefined();
  });
});

const SSH_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDUgDRD0Zt/VbnsW5X8Rgt8Xg6kGVyNWMc+Lpq7GiRtIBEUS1PeFTNj8CSkU3Z3eDPlDSWoVVEiK4mUpi1X6JZCe7DVzw9ezt4gh8e5YfEMoYf8aYWqjBDCNrSITQ0jnuH5Vh41WQAUYXyeU2+tKZEFQqIeuy1cXt5qCVH5sfn1kOwZXO1bHzfPr/0E1bKbERD9vqIbTQrSH2nT3XLGTW5U+qA5MtNHqHaE6gAqbuDJV8ryYn0JylmWYSSJ3fiBHbAxiyNP7hRhLqwvfN3Ew3hu9T5VfwDq3c8bB7GTXQxBn/+ZNXMQOA47qsf0R6mQqEBg6xD7DZXqjDe7cm8ZLxXt test@example';
const CERT = readFileSync('test/fixtures/signing-cert.pem', 'utf8');
