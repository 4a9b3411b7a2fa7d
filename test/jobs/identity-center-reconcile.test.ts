import { randomBytes } from 'node:crypto';
import { CreateGroupCommand, CreateUserCommand } from '@aws-sdk/client-identitystore';
import { CreateAccountCommand, CreateOrganizationCommand } from '@aws-sdk/client-organizations';
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
} from '@aws-sdk/client-sso-admin';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, PermissionSetConfig } from '../../src/config.js';
import { fixedClock } from '../../src/core/clock.js';
import { createAssignment } from '../../src/core/identity-center/assignments.js';
import { Auditor, bindCore, type Grant } from '../../src/core/index.js';
import type { Deps } from '../../src/deps.js';
import { removalNote } from '../../src/flows/identity-center-reconcile.js';
import { identityCenterReconcile } from '../../src/jobs/identity-center-reconcile.js';
import { jobs, runJob } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/logger.js';
import { Drain } from '../../src/slack/drain.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { testConfig, testCtx } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { redisStore, sqliteStore } from '../helpers/store.js';

/**
 * The identity-center-reconcile job through its real entry (the job host's runJob: tick claim, lease), over
 * moto's sso-admin, real stores and the fake Slack. Assignments "made outside the bot" are made with moto's
 * raw client; a grant is a record written straight into the store, as the grant flow would write it.
 */
const T0 = new Date('2026-03-01T10:00:00Z');
const APPROVALS = 'C0APPROVALS';

let moto: Moto;
let slack: FakeSlack;
let instanceArn = '';
let dev = '';
let admin = '';
let readOnly = '';
let alice = '';
let bob = '';
let ops = '';
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [moto, slack] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  for (const c of closers) await c();
  await Promise.all([moto?.stop(), slack?.stop()]);
});

function set(arn: string, elevationOnly: boolean): PermissionSetConfig {
  return {
    arn,
    description: '',
    accounts: [dev],
    max_duration_hours: 8,
    approvals_required: 1,
    admin_only: false,
    break_glass: false,
    elevation_only: elevationOnly,
  };
}

/** moto's permission set ARNs do not fit the schema's `permissionSet/` form: the sets are set, not parsed. */
function config(): Config {
  const base = testConfig();
  return {
    ...base,
    identity_center: { region: 'us-east-1' },
    permission_sets: { Admin: set(admin, true), ReadOnly: set(readOnly, false) },
    slack: { ...base.slack, approvals_channel: APPROVALS },
    env: { ...base.env, replicaId: 'replica-a' },
  };
}

function botDeps(store: Store, clock = fixedClock(T0)): Deps {
  const cfg = config();
  const logger = silentLogger();
  return {
    config: cfg,
    clock,
    logger,
    store,
    client: new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
    core: bindCore({
      config: cfg,
      clients: moto.clients([], { clock }),
      auditor: new Auditor(store.audit, clock, logger),
      clock,
      logger,
      sleep: async () => undefined,
    }),
    drain: new Drain(),
  } as unknown as Deps;
}

async function assign(psArn: string, principalId: string, type: 'USER' | 'GROUP' = 'USER') {
  await moto.ssoAdmin().send(
    new CreateAccountAssignmentCommand({
      InstanceArn: instanceArn,
      TargetId: dev,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: psArn,
      PrincipalType: type,
      PrincipalId: principalId,
    }),
  );
}

async function assigned(psArn: string): Promise<string[]> {
  const out = await moto.ssoAdmin().send(
    new ListAccountAssignmentsCommand({
      InstanceArn: instanceArn,
      AccountId: dev,
      PermissionSetArn: psArn,
    }),
  );
  return (out.AccountAssignments ?? []).map((a) => `${a.PrincipalType}:${a.PrincipalId}`).sort();
}

/** A permission-set grant as the grant flow records it (Grant gains principalId and permissionSetArn there). */
function psGrant(principalId: string, username: string): Grant {
  return {
    id: `ps-${username}`,
    account: dev,
    username,
    kind: 'permission-set',
    target: 'Admin',
    principalId,
    permissionSetArn: admin,
    requester: 'UREQ',
    reason: 'incident 42',
    createdAt: T0.toISOString(),
    expiresAt: new Date(T0.getTime() + 3_600_000).toISOString(),
    breakGlass: false,
    approvers: ['UAPPROVER'],
    status: 'active',
  } as unknown as Grant;
}

async function removals(store: Store) {
  return (await store.audit.recent({ limit: 100 })).filter(
    (e) => e.action === 'identity-center.reconcile.remove',
  );
}

let tick = T0.getTime();
/** One run through the job host, each for its own tick (a tick runs once). */
function run(deps: Deps) {
  tick += 60_000;
  return runJob(identityCenterReconcile, deps, { tick: new Date(tick) });
}

describe('identity-center-reconcile job', () => {
  beforeEach(async () => {
    await moto.reset();
    slack.reset();
    const org = moto.organizations();
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    dev =
      (await org.send(new CreateAccountCommand({ AccountName: 'dev', Email: 'dev@example.com' })))
        .CreateAccountStatus?.AccountId ?? '';
    const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
    instanceArn = inst?.InstanceArn ?? '';
    const ps = async (Name: string) =>
      (await moto.ssoAdmin().send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name })))
        .PermissionSet?.PermissionSetArn ?? '';
    admin = await ps('Admin');
    readOnly = await ps('ReadOnly');
    const user = async (UserName: string) =>
      (
        await moto.identityStore().send(
          new CreateUserCommand({
            IdentityStoreId: inst?.IdentityStoreId,
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
          .send(new CreateGroupCommand({ IdentityStoreId: inst?.IdentityStoreId, DisplayName: 'ops' }))
      ).GroupId ?? '';
  });

  it('is scheduled on jobs.identity_center_reconcile_schedule, every 5 minutes by default', () => {
    expect(jobs).toContain(identityCenterReconcile);
    expect(identityCenterReconcile.schedule(testConfig())).toBe('*/5 * * * *');
  });

  it('removes what was assigned outside the bot (users and groups), keeps what a grant explains and what is not elevation_only, audits and tells the approvals channel', async () => {
    const store = sqliteStore({ clock: fixedClock(T0) });
    closers.push(() => store.close());
    await store.grants.upsert(psGrant(alice, 'alice'));
    await assign(admin, alice); // explained by the grant
    await assign(admin, bob); // outside the bot
    await assign(admin, ops, 'GROUP'); // a group: grants are to users only
    await assign(readOnly, bob); // standing access is allowed on this set
    const deps = botDeps(store);

    expect(await run(deps)).toBe('ran');

    expect(await assigned(admin)).toEqual([`USER:${alice}`]);
    expect(await assigned(readOnly)).toEqual([`USER:${bob}`]);
    const events = await removals(store);
    expect(events.map((e) => `${e.details?.principalType}:${e.target}`).sort()).toEqual(
      [`USER:${bob}`, `GROUP:${ops}`].sort(),
    );
    for (const e of events)
      expect(e).toMatchObject({
        actor: 'system:identity-center-reconcile',
        account: dev,
        outcome: 'success',
        details: { permissionSet: 'Admin', permissionSetArn: admin, reason: 'no active grant' },
      });
    const posts = slack.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body.channel).toBe(APPROVALS);
    expect(String(posts[0]?.body.text)).toMatch(/removed 2 assignments of elevation_only permission sets/);

    // Nothing left to do: no removal, no message.
    slack.reset();
    expect(await run(deps)).toBe('ran');
    expect(await removals(store)).toHaveLength(2);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('a lost store removes even the bot-made assignment its grant explained', async () => {
    const prefix = `t:icrec:${randomBytes(6).toString('hex')}:`;
    const store = await redisStore(prefix);
    closers.push(() => store.close());
    // The grant flow's order: the grant record first, then the assignment.
    await store.grants.upsert(psGrant(bob, 'bob'));
    await createAssignment(testCtx(moto, { config: config() }), {
      account: dev,
      permissionSetArn: admin,
      principalId: bob,
    });
    await run(botDeps(store));
    expect(await assigned(admin)).toEqual([`USER:${bob}`]);

    const keys = await store.redis.keys(`${prefix}*`);
    if (keys.length > 0) await store.redis.del(...keys);
    expect(await run(botDeps(store))).toBe('ran');
    expect(await assigned(admin)).toEqual([]);
    expect((await removals(store)).map((e) => e.target)).toEqual([bob]);
  });

  it('a fresh empty store (the file lost) removes it too', async () => {
    await createAssignment(testCtx(moto, { config: config() }), {
      account: dev,
      permissionSetArn: admin,
      principalId: alice,
    });
    const store = new MemoryStore({ clock: fixedClock(T0) });
    expect(await run(botDeps(store))).toBe('ran');
    expect(await assigned(admin)).toEqual([]);
    expect(await removals(store)).toHaveLength(1);
  });

  it('a store that cannot be read removes nothing', async () => {
    await assign(admin, bob);
    await assign(admin, ops, 'GROUP');
    const store = new MemoryStore({ clock: fixedClock(T0) });
    store.grants.listActive = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    };
    expect(await run(botDeps(store))).toBe('ran');
    expect(await assigned(admin)).toEqual([`GROUP:${ops}`, `USER:${bob}`].sort());
    expect(await removals(store)).toEqual([]);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
  });
});

describe('the approvals channel note', () => {
  it('lists ten removals, counts the rest, and says how many failed', () => {
    const removed = Array.from({ length: 12 }, (_, i) => ({
      permissionSet: 'Admin',
      account: '111111111111',
      permissionSetArn: 'arn:ps',
      principalType: 'USER' as const,
      principalId: `u-${String(i).padStart(2, '0')}`,
    }));
    const text = removalNote({
      permissionSets: 1,
      accountsRead: 1,
      assignments: 13,
      explained: 0,
      removed,
      failed: [
        { permissionSet: 'Admin', account: '111111111111', step: 'remove', error: 'x' },
        { permissionSet: 'Admin', account: '111111111111', step: 'list', error: 'y' },
      ],
      calls: { listAccountsForProvisionedPermissionSet: 1, listAccountAssignments: 1, delete: 13 },
    });
    expect(text.split('\n')).toEqual([
      'Identity Center reconcile removed 12 assignments of elevation_only permission sets with no active grant behind them:',
      ...removed
        .slice(0, 10)
        .map((r) => `• permission set \`Admin\` in 111111111111: user \`${r.principalId}\``),
      '…and 2 more (see the audit trail).',
      '1 removal failed and will be retried on the next run.',
    ]);
  });
});
