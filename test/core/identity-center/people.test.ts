import {
  CreateGroupCommand,
  CreateGroupMembershipCommand,
  CreateUserCommand,
  DescribeUserCommand,
  type IdentitystoreClient,
  ListGroupMembershipsForMemberCommand,
  ListGroupsCommand,
} from '@aws-sdk/client-identitystore';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { CreatePermissionSetCommand, ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/core/clock.js';
import { assignmentsOfUser, createAssignment } from '../../../src/core/identity-center/assignments.js';
import { identityCenter } from '../../../src/core/identity-center/directory.js';
import {
  createIdentityUser,
  deletionDay,
  MARKER_PREFIX,
  offboardIdentityUser,
  sweepIdentityCenter,
} from '../../../src/core/identity-center/people.js';
import { ConflictError, StepFailedError, ValidationError } from '../../../src/errors.js';
import { testConfig, testCtx, who } from '../../helpers/core.js';
import { type Moto, startMoto } from '../../helpers/moto.js';

let moto: Moto;
let ids: IdentitystoreClient;
let store = '';
let instanceArn = '';

beforeAll(async () => {
  moto = await startMoto();
  ids = moto.identityStore();
});
afterAll(async () => {
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
  store = inst?.IdentityStoreId ?? '';
  instanceArn = inst?.InstanceArn ?? '';
});

const icConfig = () => testConfig({ identity_center: { region: 'us-east-1' } });
let nowMs = Date.parse('2025-03-01T10:00:00Z');
const clock: Clock = { now: () => new Date(nowMs) };
const ctxAt = () => testCtx(moto, { config: icConfig(), clock });

async function group(name: string): Promise<string> {
  return (
    (await ids.send(new CreateGroupCommand({ IdentityStoreId: store, DisplayName: name }))).GroupId ?? ''
  );
}

const jane = {
  userName: 'jane.doe',
  displayName: 'Jane Doe',
  givenName: 'Jane',
  familyName: 'Doe',
  email: 'jane@example.com',
  groups: ['Engineers', 'Readers'],
};

async function groupsOf(userId: string): Promise<string[]> {
  const out = await ids.send(
    new ListGroupMembershipsForMemberCommand({ IdentityStoreId: store, MemberId: { UserId: userId } }),
  );
  return (out.GroupMemberships ?? []).map((m) => m.GroupId ?? '');
}

describe('createIdentityUser against moto', () => {
  it('creates the user with its name, email and group memberships, audited without any password', async () => {
    const eng = await group('Engineers');
    const read = await group('Readers');
    const ctx = ctxAt();
    const r = await createIdentityUser(ctx, jane, who);
    expect(r).toMatchObject({ status: 'created', userName: 'jane.doe', groups: ['Engineers', 'Readers'] });
    const u = await ids.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: r.userId }));
    expect(u.UserName).toBe('jane.doe');
    expect(u.DisplayName).toBe('Jane Doe');
    expect(u.Name).toMatchObject({ GivenName: 'Jane', FamilyName: 'Doe' });
    expect(u.Emails).toEqual([{ Value: 'jane@example.com', Type: 'work', Primary: true }]);
    expect((await groupsOf(r.userId)).sort()).toEqual([eng, read].sort());
    const ev = ctx.sink.events.at(-1);
    expect(ev).toMatchObject({
      action: 'identity-center.user.create',
      outcome: 'success',
      target: 'jane.doe',
    });
    expect(JSON.stringify(ctx.sink.events)).not.toMatch(/password/i);
  });

  it('checks everything before the first change: a missing group, a taken name or email, a bad name', async () => {
    await group('Engineers');
    const ctx = ctxAt();
    await expect(createIdentityUser(ctx, jane, who)).rejects.toThrow(/groups: .*"Readers" does not exist/);
    await group('Readers');
    await expect(createIdentityUser(ctx, { ...jane, userName: 'jane doe' }, who)).rejects.toThrow(
      ValidationError,
    );
    await expect(createIdentityUser(ctx, { ...jane, userName: 'Administrator' }, who)).rejects.toThrow(
      /reserved/,
    );
    await expect(createIdentityUser(ctx, { ...jane, email: '' }, who)).rejects.toThrow(/email/);
    expect((await ids.send(new ListGroupsCommand({ IdentityStoreId: store }))).Groups).toHaveLength(2);
    await createIdentityUser(ctx, jane, who);
    await expect(createIdentityUser(ctx, jane, who)).rejects.toThrow(/named "jane.doe" already exists/);
    await expect(createIdentityUser(ctx, { ...jane, userName: 'jane2' }, who)).rejects.toThrow(ConflictError);
  });

  it('rolls back the user and its memberships when a membership fails', async () => {
    await group('Engineers');
    await group('Readers');
    const ctx = ctxAt();
    // The group vanishes between the check and the membership: AWS answers ResourceNotFound.
    const real = moto.clients([], { clock });
    const icClient = real.identityStore('us-east-1');
    const send = icClient.send.bind(icClient);
    let memberships = 0;
    icClient.send = (async (cmd: unknown) => {
      if (cmd instanceof CreateGroupMembershipCommand && ++memberships === 2)
        throw Object.assign(new Error('group is gone'), { name: 'ResourceNotFoundException' });
      return send(cmd as never);
    }) as typeof icClient.send;
    ctx.clients = real;
    const err = await createIdentityUser(ctx, jane, who).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as StepFailedError).step).toBe('CreateGroupMembership Readers');
    expect((err as StepFailedError).rolledBack).toEqual(['CreateGroupMembership Engineers', 'CreateUser']);
    const after = testCtx(moto, { config: icConfig() });
    expect(await identityCenter(after).userId({ userName: 'jane.doe' })).toBeUndefined();
    expect(ctx.sink.events.at(-1)).toMatchObject({
      outcome: 'failure',
      action: 'identity-center.user.create',
    });
  });
});

describe('offboardIdentityUser and the sweep against moto', () => {
  async function arrange() {
    const eng = await group('Engineers');
    const ctx = ctxAt();
    const { userId } = await createIdentityUser(ctx, { ...jane, groups: ['Engineers'] }, who);
    const org: OrganizationsClient = moto.organizations();
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const acct =
      (await org.send(new CreateAccountCommand({ AccountName: 'dev', Email: 'dev@example.com' })))
        .CreateAccountStatus?.AccountId ?? '';
    const ps = await moto
      .ssoAdmin()
      .send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: 'Admin' }));
    const permissionSetArn = ps.PermissionSet?.PermissionSetArn ?? '';
    await createAssignment(ctx, { account: acct, permissionSetArn, principalId: userId });
    return { ctx, userId, eng, acct, permissionSetArn };
  }

  it('removes every membership and assignment at once and marks the deletion day in AWS', async () => {
    nowMs = Date.parse('2025-03-01T10:00:00Z');
    const { ctx, userId, eng, acct, permissionSetArn } = await arrange();
    expect(await groupsOf(userId)).toEqual([eng]);
    const r = await offboardIdentityUser(ctx, { userName: 'jane.doe', removeAfterDays: 30 }, who);
    expect(r).toMatchObject({
      status: 'offboarded',
      userId,
      removedGroups: ['Engineers'],
      removedAssignments: [{ account: acct, permissionSetArn }],
      deleteAfter: '2025-04-01',
    });
    expect(await assignmentsOfUser(ctx, userId)).toEqual([]);
    const groups = (await ids.send(new ListGroupsCommand({ IdentityStoreId: store }))).Groups ?? [];
    const marker = groups.find((g) => g.DisplayName === `${MARKER_PREFIX}2025-04-01`);
    expect(marker).toBeDefined();
    expect(await groupsOf(userId)).toEqual([marker?.GroupId]);
    // Again: nothing left to remove, and the date already set stands.
    nowMs += 86_400_000;
    const again = await offboardIdentityUser(ctx, { userName: 'jane.doe', removeAfterDays: 30 }, who);
    expect(again).toMatchObject({ status: 'already-offboarded', deleteAfter: '2025-04-01' });
    expect(ctx.sink.events.at(-1)).toMatchObject({ outcome: 'noop' });
  });

  it('a dry run lists what it would remove and changes nothing, audited as a dry run', async () => {
    nowMs = Date.parse('2025-03-01T10:00:00Z');
    const { ctx, userId, eng, acct, permissionSetArn } = await arrange();
    const r = await offboardIdentityUser(ctx, { userName: 'jane.doe', removeAfterDays: 30 }, who, {
      dryRun: true,
    });
    expect(r).toMatchObject({ status: 'dry-run', userId, removedGroups: [], removedAssignments: [] });
    expect(r.plan).toEqual([
      { action: 'DeleteGroupMembership', params: { UserName: 'jane.doe', GroupName: 'Engineers' } },
      {
        action: 'DeleteAccountAssignment',
        params: { UserName: 'jane.doe', AccountId: acct, PermissionSetArn: permissionSetArn },
      },
      {
        action: 'CreateGroupMembership',
        params: { UserName: 'jane.doe', GroupName: `${MARKER_PREFIX}2025-04-01` },
      },
    ]);
    expect(r.deleteAfter).toBe('2025-04-01');
    expect(await groupsOf(userId)).toEqual([eng]);
    expect(await assignmentsOfUser(ctx, userId)).toHaveLength(1);
    expect(ctx.sink.events.at(-1)).toMatchObject({
      action: 'identity-center.user.offboard',
      outcome: 'dry-run',
    });
    // The real run's plan is what it did.
    const done = await offboardIdentityUser(ctx, { userName: 'jane.doe', removeAfterDays: 30 }, who);
    expect(done.plan).toEqual(r.plan);
    // A dry sweep on the day names the user and deletes nothing.
    nowMs = Date.parse('2025-04-01T00:00:01Z');
    expect(await sweepIdentityCenter(ctxAt(), who, { dryRun: true })).toEqual({
      deleted: [{ userId, userName: 'jane.doe' }],
      failed: [],
    });
    expect(
      (await ids.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: userId }))).UserName,
    ).toBe('jane.doe');
  });

  it('the sweep deletes the user only once its day has come, from AWS alone (a new context, no store)', async () => {
    nowMs = Date.parse('2025-03-01T10:00:00Z');
    const { ctx, userId } = await arrange();
    await offboardIdentityUser(ctx, { userName: 'jane.doe', removeAfterDays: 30 }, who);
    // A fresh core context: nothing of the offboarding's process survives but AWS itself.
    nowMs = Date.parse('2025-03-31T23:59:59Z');
    expect(await sweepIdentityCenter(ctxAt(), who)).toEqual({ deleted: [], failed: [] });
    expect(
      (await ids.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: userId }))).UserName,
    ).toBe('jane.doe');
    nowMs = Date.parse('2025-04-01T00:00:01Z');
    const sweeper = ctxAt();
    expect(await sweepIdentityCenter(sweeper, who)).toEqual({
      deleted: [{ userId, userName: 'jane.doe' }],
      failed: [],
    });
    await expect(
      ids.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: userId })),
    ).rejects.toThrow();
    expect(sweeper.sink.events.at(-1)).toMatchObject({
      action: 'identity-center.user.delete',
      outcome: 'success',
      target: 'jane.doe',
    });
    // The emptied marker group is gone too; the next sweep has nothing to do.
    const groups = (await ids.send(new ListGroupsCommand({ IdentityStoreId: store }))).Groups ?? [];
    expect(groups.map((g) => g.DisplayName)).toEqual(['Engineers']);
    expect(await sweepIdentityCenter(ctxAt(), who)).toEqual({ deleted: [], failed: [] });
  });

  it('without remove_after it cuts access but schedules nothing; an unknown user is NotFound', async () => {
    const { ctx, userId } = await arrange();
    const r = await offboardIdentityUser(ctx, { userId }, who);
    expect(r.deleteAfter).toBeUndefined();
    expect(await groupsOf(userId)).toEqual([]);
    await expect(offboardIdentityUser(ctx, { userName: 'nobody' }, who)).rejects.toThrow(
      /no Identity Center user/,
    );
    await expect(
      offboardIdentityUser(ctx, { userName: 'jane.doe', removeAfterDays: -1 }, who),
    ).rejects.toThrow(/removeAfterDays/);
  });

  it('a user someone else created and put in a marker group is swept like ours (the group is the record)', async () => {
    const u = await ids.send(
      new CreateUserCommand({
        IdentityStoreId: store,
        UserName: 'old',
        DisplayName: 'Old',
        Name: { GivenName: 'O', FamilyName: 'Ld' },
      }),
    );
    const g = await group(`${MARKER_PREFIX}2025-01-01`);
    await ids.send(
      new CreateGroupMembershipCommand({
        IdentityStoreId: store,
        GroupId: g,
        MemberId: { UserId: u.UserId ?? '' },
      }),
    );
    nowMs = Date.parse('2025-03-01T10:00:00Z');
    expect((await sweepIdentityCenter(ctxAt(), who)).deleted).toEqual([
      { userId: u.UserId, userName: 'old' },
    ]);
  });
});

describe('deletionDay', () => {
  it('is never earlier than the given days', () => {
    expect(deletionDay(new Date('2025-03-01T00:00:00Z'), 30)).toBe('2025-03-31');
    expect(deletionDay(new Date('2025-03-01T00:00:01Z'), 30)).toBe('2025-04-01');
    expect(deletionDay(new Date('2025-03-01T10:00:00Z'), 0)).toBe('2025-03-02');
  });
});
