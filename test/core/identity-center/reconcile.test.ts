import { CreateGroupCommand, CreateUserCommand } from '@aws-sdk/client-identitystore';
import { CreateAccountCommand, CreateOrganizationCommand } from '@aws-sdk/client-organizations';
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  ProvisionPermissionSetCommand,
  SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, PermissionSetConfig } from '../../../src/config.js';
import {
  type ExplainingGrant,
  isExplained,
  removeUnexplainedAssignments,
} from '../../../src/core/identity-center/reconcile.js';
import { testConfig, testCtx, who } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

/**
 * The reconcile against moto's sso-admin: what it lists, what it keeps and what it removes. moto's permission
 * set ARNs (`…:instance/ssoins-…/ps-…`) do not fit the config schema's `permissionSet/` form, so the config's
 * permission_sets are set directly rather than parsed.
 */
let moto: Moto;
let instanceArn = '';
let storeId = '';
let dev = '';
let prod = '';
let admin = '';
let readOnly = '';
let alice = '';
let bob = '';
let ops = '';

beforeAll(async () => {
  moto = await startMoto();
});

function set(arn: string, accounts: string[], elevationOnly: boolean): PermissionSetConfig {
  return {
    arn,
    description: '',
    accounts,
    max_duration_hours: 8,
    approvals_required: 1,
    admin_only: false,
    break_glass: false,
    elevation_only: elevationOnly,
  };
}

function config(sets: Record<string, PermissionSetConfig>): Config {
  return testConfig({ identity_center: { region: 'us-east-1' }, permission_sets: sets });
}

/** Admin (elevation_only) in dev and prod; ReadOnly (standing access allowed) in dev. */
const standard = () =>
  config({ Admin: set(admin, [dev, prod], true), ReadOnly: set(readOnly, [dev], false) });

async function assign(account: string, psArn: string, principalId: string, type: 'USER' | 'GROUP' = 'USER') {
  await moto.ssoAdmin().send(
    new CreateAccountAssignmentCommand({
      InstanceArn: instanceArn,
      TargetId: account,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: psArn,
      PrincipalType: type,
      PrincipalId: principalId,
    }),
  );
}

async function assigned(account: string, psArn: string): Promise<string[]> {
  const out = await moto.ssoAdmin().send(
    new ListAccountAssignmentsCommand({
      InstanceArn: instanceArn,
      AccountId: account,
      PermissionSetArn: psArn,
    }),
  );
  return (out.AccountAssignments ?? []).map((a) => `${a.PrincipalType}:${a.PrincipalId}`).sort();
}

const grant = (over: Partial<ExplainingGrant> = {}): ExplainingGrant => ({
  status: 'active',
  kind: 'permission-set',
  account: dev,
  principalId: alice,
  permissionSetArn: admin,
  ...over,
});

describe('identity-center reconcile against moto', () => {
  beforeEach(async () => {
    await moto.reset();
    const org = moto.organizations();
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const account = async (name: string) =>
      (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` })))
        .CreateAccountStatus?.AccountId ?? '';
    dev = await account('dev');
    prod = await account('prod');
    const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
    instanceArn = inst?.InstanceArn ?? '';
    storeId = inst?.IdentityStoreId ?? '';
    const ps = async (Name: string) =>
      (await moto.ssoAdmin().send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name })))
        .PermissionSet?.PermissionSetArn ?? '';
    admin = await ps('Admin');
    readOnly = await ps('ReadOnly');
    const user = async (UserName: string) =>
      (
        await moto.identityStore().send(
          new CreateUserCommand({
            IdentityStoreId: storeId,
            UserName,
            DisplayName: UserName,
            Name: { GivenName: UserName, FamilyName: 'X' },
          }),
        )
      ).UserId ?? '';
    alice = await user('alice');
    bob = await user('bob');
    ops =
      (
        await moto
          .identityStore()
          .send(new CreateGroupCommand({ IdentityStoreId: storeId, DisplayName: 'ops' }))
      ).GroupId ?? '';
  });

  it('removes every assignment of an elevation_only set no grant explains (users and groups), audits each, and keeps the rest', async () => {
    await assign(dev, admin, alice); // explained by an active grant
    await assign(prod, admin, alice); // the grant is for dev, not prod
    await assign(dev, admin, bob); // explained by a grant being revoked
    await assign(prod, admin, bob); // out of band
    await assign(dev, admin, ops, 'GROUP'); // a group: never explained
    await assign(dev, readOnly, bob); // not elevation_only: standing access is allowed
    const ctx = testCtx(moto, { config: standard() });

    const r = await removeUnexplainedAssignments(ctx, who, {
      grants: async () => [grant(), grant({ principalId: bob, status: 'revoking' })],
    });

    expect(await assigned(dev, admin)).toEqual([`USER:${alice}`, `USER:${bob}`].sort());
    expect(await assigned(prod, admin)).toEqual([]);
    expect(await assigned(dev, readOnly)).toEqual([`USER:${bob}`]);
    expect(r).toMatchObject({ permissionSets: 1, accountsRead: 2, assignments: 5, explained: 2, failed: [] });
    expect(r.removed.map((x) => `${x.account}:${x.principalType}:${x.principalId}`).sort()).toEqual(
      [`${prod}:USER:${alice}`, `${prod}:USER:${bob}`, `${dev}:GROUP:${ops}`].sort(),
    );
    expect(r.calls).toEqual({
      listAccountsForProvisionedPermissionSet: 1,
      listAccountAssignments: 2,
      delete: 3,
    });
    const events = ctx.sink.events.filter((e) => e.action === 'identity-center.reconcile.remove');
    expect(events).toHaveLength(3);
    expect(events.find((e) => e.target === ops)).toMatchObject({
      actor: 'tester',
      account: dev,
      outcome: 'success',
      details: {
        permissionSet: 'Admin',
        permissionSetArn: admin,
        principalType: 'GROUP',
        principalId: ops,
        reason: 'no active grant',
      },
    });

    // Idempotent: nothing left to remove, nothing more audited.
    const again = await removeUnexplainedAssignments(ctx, who, {
      grants: async () => [grant(), grant({ principalId: bob, status: 'revoking' })],
    });
    expect(again.removed).toEqual([]);
    expect(ctx.sink.events.filter((e) => e.action === 'identity-center.reconcile.remove')).toHaveLength(3);
  });

  it('finds an assignment in an account the set does not list, through ListAccountsForProvisionedPermissionSet', async () => {
    // moto provisions a set to its own (the management) account only, and names only that one.
    await moto.ssoAdmin().send(
      new ProvisionPermissionSetCommand({
        InstanceArn: instanceArn,
        PermissionSetArn: admin,
        TargetType: 'ALL_PROVISIONED_ACCOUNTS',
      }),
    );
    await assign(MOTO_ACCOUNT, admin, alice);
    const ctx = testCtx(moto, { config: config({ Admin: set(admin, [dev], true) }) });
    const r = await removeUnexplainedAssignments(ctx, who, { grants: async () => [] });
    expect(await assigned(MOTO_ACCOUNT, admin)).toEqual([]);
    expect(r.removed).toEqual([
      expect.objectContaining({ account: MOTO_ACCOUNT, principalId: alice, permissionSet: 'Admin' }),
    ]);
    expect(r.accountsRead).toBe(2);
  });

  it('reads every managed account for "*"', async () => {
    await assign(MOTO_ACCOUNT, admin, bob);
    const ctx = testCtx(moto, { config: config({ Admin: set(admin, ['*'], true) }) });
    const r = await removeUnexplainedAssignments(ctx, who, { grants: async () => [] });
    expect(r.accountsRead).toBe(1);
    expect(await assigned(MOTO_ACCOUNT, admin)).toEqual([]);
  });

  it('removes nothing when the grants cannot be read, and says why', async () => {
    await assign(dev, admin, alice);
    const ctx = testCtx(moto, { config: standard() });
    const r = await removeUnexplainedAssignments(ctx, who, {
      grants: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      },
    });
    expect(r.grantsError).toMatch(/ECONNREFUSED/);
    expect(r.removed).toEqual([]);
    expect(r.calls.delete).toBe(0);
    expect(await assigned(dev, admin)).toEqual([`USER:${alice}`]);
    expect(ctx.sink.events).toEqual([]);
  });
});

describe('what explains an assignment', () => {
  const a = {
    account: '111111111111',
    permissionSetArn: 'arn:ps',
    principalType: 'USER' as const,
    principalId: 'u-1',
  };
  const g: ExplainingGrant = {
    status: 'active',
    kind: 'permission-set',
    account: a.account,
    principalId: a.principalId,
    permissionSetArn: a.permissionSetArn,
  };
  it('a permission-set grant, active or being revoked, for the same account, user and set', () => {
    expect(isExplained(a, [g])).toBe(true);
    expect(isExplained(a, [{ ...g, status: 'revoking' }])).toBe(true);
  });
  it.each([
    ['revoked', { status: 'revoked' }],
    ['another kind', { kind: 'group' }],
    ['another account', { account: '222222222222' }],
    ['another user', { principalId: 'u-2' }],
    ['another set', { permissionSetArn: 'arn:other' }],
    ['no principal (an IAM grant)', { principalId: undefined }],
  ])('not %s', (_, over) => {
    expect(isExplained(a, [{ ...g, ...over }])).toBe(false);
  });
  it('never a GROUP assignment', () => {
    expect(isExplained({ ...a, principalType: 'GROUP' }, [g])).toBe(false);
  });
});

/** AWS answers a deletion IN_PROGRESS and only its status call says FAILED; moto succeeds at once. */
function stubbed(opts: {
  assignments: Record<string, { PrincipalType: string; PrincipalId: string }[]>;
  failDeleteIn?: string;
  provisioned?: string[] | Error;
}) {
  const sent: string[] = [];
  // The paginators accept only a real SSOAdminClient: a real one, whose send is the stub.
  const fake = new SSOAdminClient({ region: 'us-east-1' });
  const stub = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = cmd.constructor.name.replace(/Command$/, '');
      sent.push(
        `${name}${(cmd.input.AccountId ?? cmd.input.TargetId) ? ` ${cmd.input.AccountId ?? cmd.input.TargetId}` : ''}`,
      );
      switch (name) {
        case 'ListInstances':
          return {
            Instances: [
              { InstanceArn: 'arn:aws:sso:::instance/ssoins-1111111111111111', IdentityStoreId: 'd-1' },
            ],
          };
        case 'ListAccountsForProvisionedPermissionSet':
          if (opts.provisioned instanceof Error) throw opts.provisioned;
          return { AccountIds: opts.provisioned ?? [] };
        case 'ListAccountAssignments':
          return { AccountAssignments: opts.assignments[String(cmd.input.AccountId)] ?? [] };
        case 'DeleteAccountAssignment':
          return {
            AccountAssignmentDeletionStatus: {
              Status: 'IN_PROGRESS',
              RequestId: `del-${cmd.input.TargetId}`,
            },
          };
        case 'DescribeAccountAssignmentDeletionStatus': {
          const id = String(cmd.input.AccountAssignmentDeletionRequestId);
          return {
            AccountAssignmentDeletionStatus:
              id === `del-${opts.failDeleteIn}`
                ? { Status: 'FAILED', RequestId: id, FailureReason: 'Received a 500 status error' }
                : { Status: 'SUCCEEDED', RequestId: id },
          };
        }
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  fake.send = stub.send as unknown as SSOAdminClient['send'];
  return { fake, sent };
}

describe('identity-center reconcile as AWS answers (stubbed)', () => {
  const A = '111111111111';
  const B = '222222222222';
  const C = '333333333333';
  const ARN = 'arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-1111111111111111';
  const ctxWith = (fake: SSOAdminClient, sets = { Admin: set(ARN, [A, B, C], true) }) => {
    const ctx = testCtx(moto, { config: config(sets) });
    ctx.clients.ssoAdmin = () => fake;
    return ctx;
  };

  it('a FAILED deletion in one account does not stop the others; it is audited with its reason and reported', async () => {
    const user = (id: string) => [{ PrincipalType: 'USER', PrincipalId: id }];
    const { fake, sent } = stubbed({
      assignments: { [A]: user('u-a'), [B]: user('u-b'), [C]: user('u-c') },
      failDeleteIn: A,
    });
    const ctx = ctxWith(fake);
    const r = await removeUnexplainedAssignments(ctx, who, { grants: async () => [] });
    expect(r.removed.map((x) => x.account).sort()).toEqual([B, C]);
    expect(r.failed).toEqual([
      {
        permissionSet: 'Admin',
        account: A,
        principalType: 'USER',
        principalId: 'u-a',
        step: 'remove',
        error: 'Identity Center could not delete the account assignment: Received a 500 status error',
      },
    ]);
    expect(sent.filter((s) => s.startsWith('DeleteAccountAssignment')).sort()).toEqual([
      `DeleteAccountAssignment ${A}`,
      `DeleteAccountAssignment ${B}`,
      `DeleteAccountAssignment ${C}`,
    ]);
    const failure = ctx.sink.events.find((e) => e.outcome === 'failure');
    expect(failure).toMatchObject({
      action: 'identity-center.reconcile.remove',
      account: A,
      target: 'u-a',
      error: 'Identity Center could not delete the account assignment: Received a 500 status error',
      details: { permissionSet: 'Admin', principalType: 'USER', reason: 'no active grant' },
    });
    expect(ctx.sink.events.filter((e) => e.outcome === 'success')).toHaveLength(2);
  });

  it('reads the grants only after every listing, so a grant recorded before its assignment is always seen', async () => {
    const { fake, sent } = stubbed({ assignments: { [A]: [{ PrincipalType: 'USER', PrincipalId: 'u-a' }] } });
    const ctx = ctxWith(fake);
    await removeUnexplainedAssignments(ctx, who, {
      grants: async () => {
        sent.push('grants');
        return [];
      },
    });
    const at = sent.indexOf('grants');
    expect(sent.slice(0, at).filter((s) => s.startsWith('ListAccountAssignments'))).toHaveLength(3);
    expect(sent.slice(at).filter((s) => s.startsWith('List'))).toEqual([]);
  });

  it('a failed ListAccountsForProvisionedPermissionSet is reported, and the configured accounts are still read', async () => {
    const { fake } = stubbed({
      assignments: { [B]: [{ PrincipalType: 'GROUP', PrincipalId: 'g-1' }] },
      provisioned: Object.assign(
        new Error('User is not authorized to perform: sso:ListAccountsForProvisionedPermissionSet'),
        {
          name: 'AccessDeniedException',
        },
      ),
    });
    const r = await removeUnexplainedAssignments(ctxWith(fake), who, { grants: async () => [] });
    expect(r.failed).toEqual([
      expect.objectContaining({
        permissionSet: 'Admin',
        step: 'provisioned-accounts',
        error: expect.stringMatching(/not authorized/),
      }),
    ]);
    expect(r.accountsRead).toBe(3);
    expect(r.removed).toEqual([expect.objectContaining({ account: B, principalType: 'GROUP' })]);
  });

  it('one account that cannot be listed does not stop the others', async () => {
    const { fake } = stubbed({ assignments: { [C]: [{ PrincipalType: 'USER', PrincipalId: 'u-c' }] } });
    const send = fake.send.bind(fake);
    (fake as { send: unknown }).send = async (cmd: {
      constructor: { name: string };
      input: Record<string, unknown>;
    }) => {
      if (cmd.constructor.name === 'ListAccountAssignmentsCommand' && cmd.input.AccountId === A)
        throw new Error('ThrottlingException: Rate exceeded');
      return send(cmd as never);
    };
    const r = await removeUnexplainedAssignments(ctxWith(fake), who, { grants: async () => [] });
    expect(r.failed).toEqual([
      expect.objectContaining({ account: A, step: 'list', error: expect.stringMatching(/Rate exceeded/) }),
    ]);
    expect(r.accountsRead).toBe(2);
    expect(r.removed.map((x) => x.account)).toEqual([C]);
  });

  it('without an elevation_only set it makes no call and reads no grant', async () => {
    const { fake, sent } = stubbed({ assignments: {} });
    let read = 0;
    const r = await removeUnexplainedAssignments(ctxWith(fake, { Admin: set(ARN, [A], false) }), who, {
      grants: async () => {
        read++;
        return [];
      },
    });
    expect(sent).toEqual([]);
    expect(read).toBe(0);
    expect(r.permissionSets).toBe(0);
  });
});
