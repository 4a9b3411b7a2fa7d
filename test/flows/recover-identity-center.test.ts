import {
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupMembershipCommand,
  ListGroupMembershipsForMemberCommand,
} from '@aws-sdk/client-identitystore';
import { CreatePermissionSetCommand, ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { grantId } from '../../src/core/index.js';
import { recoverAtStart } from '../../src/flows/requests/recover.js';
import type { PendingRequest } from '../../src/store/types.js';
import { botConfig, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

/**
 * A kill -9 while an Identity Center request ran: recovery looks in Identity Center, not in IAM, where
 * neither an Identity Store user nor an account assignment would ever show.
 */
let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
let store = '';
let psArn = '';
const MESSAGE = { channel: 'C0APPROVALS', ts: '1700000000.000300' };

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(async () => {
  await t?.stop();
  await moto.reset();
  const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
  store = inst?.IdentityStoreId ?? '';
  await moto
    .identityStore()
    .send(new CreateGroupCommand({ IdentityStoreId: store, DisplayName: 'Engineers' }));
  psArn =
    (
      await moto
        .ssoAdmin()
        .send(new CreatePermissionSetCommand({ InstanceArn: inst?.InstanceArn, Name: 'Admin' }))
    ).PermissionSet?.PermissionSetArn ?? '';
  fake.reset();
  seedSlack(fake);
  const base = botConfig(fake);
  const config = {
    ...base,
    templates: {
      ...base.templates,
      'sso-engineer': {
        ...base.templates.developer,
        groups: [],
        managed_policies: [],
        inline_policies: {},
        extra_groups: [],
        grantable: { groups: [], managed_policies: [] },
        identity_center: { groups: ['Engineers'] },
      },
    },
    identity_center: { region: 'us-east-1' },
    permission_sets: {
      Admin: {
        arn: psArn,
        description: '',
        accounts: [MOTO_ACCOUNT],
        max_duration_hours: 4,
        approvals_required: 1,
        admin_only: false,
        break_glass: false,
        elevation_only: false,
      },
    },
  } as typeof base;
  t = await startBot({ fake, moto, config });
});

function request(id: string, over: Partial<PendingRequest>): PendingRequest {
  const now = Date.now();
  return {
    id,
    kind: 'create',
    requester: USERS.requester,
    target: { username: 'alice', email: 'alice@example.com', slackUserId: USERS.alice },
    template: 'sso-engineer',
    account: MOTO_ACCOUNT,
    justification: 'new hire',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
    identityCenter: true,
    ...over,
  };
}

async function leftApproving(r: PendingRequest): Promise<void> {
  await t.store.createRequest(r);
  await t.store.setRequestMessage(r.id, MESSAGE);
  expect((await t.store.approve(r.id, USERS.approver, new Date())).result).toBe('approved');
}

const startNow = () => ({ startedAt: new Date(Date.now() + 1_000), exclusive: true });
const who = { actor: USERS.approver, requestId: 'r' };
const dmsTo = (user: string) =>
  fake
    .callsTo('chat.postMessage')
    .filter((c) => c.body.channel === `D${user}`)
    .map((c) => String(c.body.text));

async function createAlice(): Promise<string> {
  const made = await t.deps.core.identityCenterPeople.create(
    {
      userName: 'alice',
      displayName: 'Alice Liddell',
      givenName: 'Alice',
      familyName: 'Liddell',
      email: 'alice@example.com',
      groups: ['Engineers'],
    },
    who,
  );
  return made.userId;
}

describe('recovery of an Identity Center create', () => {
  it('the user exists as requested: done, and the owner is told again how to sign in (there is no password to resend)', async () => {
    const r = request('r-ic-made', {});
    await leftApproving(r);
    await createAlice();
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    const done = await t.store.getRequest(r.id);
    expect(done?.status).toBe('done');
    expect(done?.outcome).toMatch(
      /the bot restarted during execution; `alice` exists in IAM Identity Center as requested/,
    );
    expect(dmsTo(USERS.alice).join('\n')).toMatch(/sign in/i);
    expect(dmsTo(USERS.alice).join('\n')).not.toMatch(/password:/i);
  });

  it('nothing was created: failed, ask again', async () => {
    const r = request('r-ic-none', {});
    await leftApproving(r);
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    const failed = await t.store.getRequest(r.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.outcome).toBe(
      'the bot restarted during execution, before `alice` was created: nothing exists in IAM Identity Center; ask again',
    );
  });

  it('the user exists without its groups: failed, left as is and named', async () => {
    const r = request('r-ic-half', {});
    await leftApproving(r);
    const userId = await createAlice();
    const m = await moto
      .identityStore()
      .send(
        new ListGroupMembershipsForMemberCommand({ IdentityStoreId: store, MemberId: { UserId: userId } }),
      );
    for (const x of m.GroupMemberships ?? [])
      await moto
        .identityStore()
        .send(new DeleteGroupMembershipCommand({ IdentityStoreId: store, MembershipId: x.MembershipId }));
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    const failed = await t.store.getRequest(r.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.outcome).toMatch(
      /`alice` exists in IAM Identity Center but not in Engineers; it was left as is: offboard it \(\/aws-user offboard alice identity-center\), then ask again/,
    );
  });
});

describe('recovery of a permission-set grant', () => {
  async function grantRequest(id: string, principalId: string): Promise<PendingRequest> {
    const r = request(id, {
      kind: 'grant',
      template: '',
      target: { username: 'rita.ic', slackUserId: USERS.requester },
      grant: {
        kind: 'permission-set',
        target: 'Admin',
        durationMinutes: 60,
        principalId,
        permissionSetArn: psArn,
      },
    });
    delete r.identityCenter;
    await leftApproving(r);
    return r;
  }

  async function rita(): Promise<string> {
    const u = await moto.identityStore().send(
      new CreateUserCommand({
        IdentityStoreId: store,
        UserName: 'rita.ic',
        DisplayName: 'Rita',
        Name: { GivenName: 'Rita', FamilyName: 'R' },
      }),
    );
    return u.UserId ?? '';
  }

  it('its record is active (written before the assignment): done, until its expiry', async () => {
    const principalId = await rita();
    const r = await grantRequest('r-ps-made', principalId);
    const spec = {
      account: MOTO_ACCOUNT,
      username: 'rita.ic',
      kind: 'permission-set' as const,
      target: 'Admin',
      principalId,
      permissionSetArn: psArn,
    };
    const now = new Date();
    await t.store.grants.upsert({
      ...spec,
      id: grantId(spec),
      requester: USERS.requester,
      reason: 'x',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
      breakGlass: false,
      approvers: [USERS.approver],
      status: 'active',
    });
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    const done = await t.store.getRequest(r.id);
    expect(done?.status).toBe('done');
    expect(done?.outcome).toMatch(
      /the bot restarted during execution; permission set Admin for `rita.ic` is granted until /,
    );
  });

  it('no record: nothing was assigned (the record comes first), failed, ask again', async () => {
    const principalId = await rita();
    const r = await grantRequest('r-ps-none', principalId);
    expect(await recoverAtStart(t.deps, startNow())).toBe(1);
    const failed = await t.store.getRequest(r.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.outcome).toBe(
      'the bot restarted during execution, before permission set Admin for `rita.ic` was granted: nothing changed; ask again',
    );
  });
});
