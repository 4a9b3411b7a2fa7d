import { randomBytes } from 'node:crypto';
import {
  CreateGroupCommand,
  CreateUserCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserTagsCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, parseEnv, parseFileConfig } from '../../src/config.js';
import { fixedClock } from '../../src/core/clock.js';
import { type AuditEvent, Auditor, bindCore, grantId } from '../../src/core/index.js';
import type { Deps } from '../../src/deps.js';
import { grantAccess, revokeDue } from '../../src/flows/grants.js';
import { runCreate } from '../../src/flows/requests/create.js';
import { grantReconcile } from '../../src/jobs/grant-reconcile.js';
import { temporaryAccess } from '../../src/jobs/temporary-access.js';
import { silentLogger } from '../../src/logger.js';
import { Roles } from '../../src/slack/roles.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { PendingRequest, Store } from '../../src/store/types.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { redisStore, sqliteStore } from '../helpers/store.js';

/**
 * IAM is the second source of truth for every expiry: grant, lose the store, let the expiry pass, run the
 * reconcile job → the access is gone in IAM, its tag too, and the audit says it came from the IAM tag.
 * moto's times are real; the bot's "now" is the injected clock.
 */
const T0 = new Date('2026-03-01T10:00:00Z');
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const OWNER = 'UOWNER1';
const REQUESTER = 'UREQUESTER';

const config: Config = {
  ...parseFileConfig(
    {
      accounts: [{ id: MOTO_ACCOUNT, name: 'home' }],
      templates: {
        developer: {
          groups: ['Developers'],
          console_access: false,
          grantable: { groups: ['ProdDebug'], managed_policies: [READ_ONLY] },
        },
      },
      slack: { approvals_channel: 'C0APPROVALS', admins: ['U0ADMIN'] },
    },
    'test',
  ),
  source: 'test',
  env: parseEnv({}),
};

/**
 * A store the test can lose. `lose()` returns the store the bot has afterwards: a new MemoryStore (the bot
 * restarted), the same RedisStore with its keys deleted (Redis flushed), the SQLite file reopened after a
 * restart (`kept`: nothing lost, the store's own records lead) or replaced by a new one (the file lost).
 */
interface StoreCase {
  name: string;
  kept?: boolean;
  open(clock: ReturnType<typeof fixedClock>): Promise<{ store: Store; lose(): Promise<Store> }>;
}

const closers: (() => Promise<void>)[] = [];

const STORES: StoreCase[] = [
  {
    name: 'memory (bot restarted)',
    async open(clock) {
      return { store: new MemoryStore({ clock }), lose: async () => new MemoryStore({ clock }) };
    },
  },
  {
    name: 'redis (prefix flushed)',
    async open() {
      const prefix = `t:reconcile:${randomBytes(6).toString('hex')}:`;
      const store = await redisStore(prefix);
      closers.push(() => store.close());
      return {
        store,
        async lose() {
          const keys = await store.redis.keys(`${prefix}*`);
          if (keys.length > 0) await store.redis.del(...keys);
          return store;
        },
      };
    },
  },
  {
    name: 'sqlite (bot restarted)',
    kept: true,
    async open(clock) {
      const store = sqliteStore({ clock });
      return {
        store,
        async lose() {
          await store.close();
          const reopened = sqliteStore({ path: store.path, clock });
          closers.push(() => reopened.close());
          return reopened;
        },
      };
    },
  },
  {
    name: 'sqlite (file lost)',
    async open(clock) {
      const store = sqliteStore({ clock });
      return {
        store,
        async lose() {
          await store.close();
          const fresh = sqliteStore({ clock });
          closers.push(() => fresh.close());
          return fresh;
        },
      };
    },
  },
];

let moto: Moto;
let slack: FakeSlack;

beforeAll(async () => {
  [moto, slack] = await Promise.all([startMoto(), startFakeSlack()]);
  for (const g of ['Developers', 'ProdDebug'])
    await moto.iam().send(new CreateGroupCommand({ GroupName: g }));
});
afterAll(async () => {
  for (const c of closers) await c();
  await Promise.all([moto?.stop(), slack?.stop()]);
});

/** The bot's deps over one store; a restart is new deps over the store it has then. */
function botDeps(store: Store, clock: ReturnType<typeof fixedClock>): Deps {
  const logger = silentLogger();
  const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  return {
    config,
    clock,
    logger,
    store,
    client,
    core: bindCore({
      config,
      clients: moto.clients(config.accounts, { clock }),
      auditor: new Auditor(store.audit, clock, logger),
      clock,
      logger,
    }),
    roles: new Roles(config, client, clock, logger),
  } as unknown as Deps;
}

async function newUser(username: string) {
  await moto.iam().send(
    new CreateUserCommand({
      UserName: username,
      Tags: [
        { Key: 'SlackUserId', Value: OWNER },
        { Key: 'aws-user:template', Value: 'developer' },
      ],
    }),
  );
}
async function groupsOf(username: string) {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: username }));
  return (r.Groups ?? []).map((g) => g.GroupName);
}
async function policiesOf(username: string) {
  const r = await moto.iam().send(new ListAttachedUserPoliciesCommand({ UserName: username }));
  return (r.AttachedPolicies ?? []).map((p) => p.PolicyArn);
}
async function tagsOf(username: string) {
  const r = await moto.iam().send(new ListUserTagsCommand({ UserName: username }));
  return Object.fromEntries((r.Tags ?? []).map((t) => [t.Key, t.Value]));
}
async function eventsFor(store: Store, username: string, action: string): Promise<AuditEvent[]> {
  return (await store.audit.recent({ target: username, limit: 50 })).filter((e) => e.action === action);
}
function ask(username: string, kind: 'group' | 'policy', target: string, durationMinutes: number) {
  return {
    requester: REQUESTER,
    ownerSlackId: OWNER,
    account: MOTO_ACCOUNT,
    username,
    template: 'developer',
    kind,
    target,
    durationMinutes,
    reason: 'incident 42',
    approvers: ['UAPPROVER'],
    breakGlass: false,
  };
}

describe.each(STORES)('a lost store: $name', (sc) => {
  const tag = sc.name.replace(/\W+/g, '-').replace(/-$/, '');

  it('still revokes an expired grant (group and policy) from its IAM tag, audits why and tells the owner', async () => {
    const clock = fixedClock(T0);
    const { store, lose } = await sc.open(clock);
    const username = `lost-grant-${tag}`;
    await newUser(username);
    const before = botDeps(store, clock);
    await grantAccess(before, ask(username, 'group', 'ProdDebug', 60));
    await grantAccess(before, ask(username, 'policy', READ_ONLY, 30));
    expect(await groupsOf(username)).toEqual(['ProdDebug']);
    expect(await policiesOf(username)).toEqual([READ_ONLY]);

    const after = botDeps(await lose(), clock);
    const known = await after.store.grants.get(
      grantId({ account: MOTO_ACCOUNT, username, kind: 'group', target: 'ProdDebug' }),
    );
    expect(Boolean(known)).toBe(Boolean(sc.kept));

    // Not before its time: the policy ends at +30 min, the group at +60.
    clock.advance(29 * 60_000);
    await grantReconcile.run(after);
    expect(await policiesOf(username)).toEqual([READ_ONLY]);
    clock.advance(2 * 60_000);
    slack.reset();
    await grantReconcile.run(after);
    expect(await policiesOf(username)).toEqual([]);
    expect(await groupsOf(username)).toEqual(['ProdDebug']);

    clock.advance(30 * 60_000);
    await grantReconcile.run(after);
    expect(await groupsOf(username)).toEqual([]);
    expect(Object.keys(await tagsOf(username)).filter((k) => k.startsWith('aws-user:grant:'))).toEqual([]);

    const revokes = await eventsFor(after.store, username, 'grant.revoke');
    expect(revokes).toHaveLength(2);
    for (const e of revokes) {
      expect(e).toMatchObject({
        actor: 'system:grant-reconcile',
        outcome: 'success',
        details: { source: 'iam-tag', reason: 'expired' },
      });
    }
    expect(revokes.map((e) => e.details?.grantTarget).sort()).toEqual(['ProdDebug', READ_ONLY].sort());
    const dms = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === OWNER);
    expect(dms.map((c) => String(c.body.text)).join('\n')).toMatch(/Revoked \(expired\)/);

    // Idempotent: nothing left to do, nothing more audited.
    await grantReconcile.run(after);
    expect(await eventsFor(after.store, username, 'grant.revoke')).toHaveLength(2);
  });

  it('still ends an expired temporary user from its IAM tag, the way the temporary-access job does', async () => {
    const clock = fixedClock(T0);
    const { store, lose } = await sc.open(clock);
    const username = `lost-temp-${tag}`;
    const request: PendingRequest = {
      id: `req-${tag}`,
      kind: 'create',
      requester: REQUESTER,
      target: { username, email: 'temp@example.com', slackUserId: OWNER },
      template: 'developer',
      account: MOTO_ACCOUNT,
      justification: 'contractor',
      extraGroups: [],
      durationHours: 2,
      approvalsNeeded: 1,
      adminOnly: false,
      approvals: [],
      status: 'approving',
      createdAt: T0.toISOString(),
      expiresAt: new Date(T0.getTime() + 72 * 3_600_000).toISOString(),
    };
    const before = botDeps(store, clock);
    expect(await runCreate(before, request, { actor: 'UAPPROVER', requestId: request.id })).toMatch(
      /temporary/,
    );
    expect(await groupsOf(username)).toEqual(['Developers']);

    const after = botDeps(await lose(), clock);
    if (!sc.kept) {
      expect(await after.store.takeDueTemporaryUsers(new Date(T0.getTime() + 3 * 3_600_000))).toEqual([]);
    }
    clock.advance(2 * 3_600_000 - 60_000);
    await grantReconcile.run(after);
    expect(await groupsOf(username)).toEqual(['Developers']);
    // Just past the end it is still the temporary-access job's turn (TEMPORARY_GRACE_MS).
    clock.advance(2 * 60_000);
    await grantReconcile.run(after);
    expect(await groupsOf(username)).toEqual(['Developers']);

    clock.advance(2 * 60_000);
    slack.reset();
    await grantReconcile.run(after);
    expect(await groupsOf(username)).toEqual([]);
    const tags = await tagsOf(username);
    expect(tags['aws-user:temporary-until']).toBeUndefined();
    expect(tags['aws-user:offboarded-at']).toBe(clock.now().toISOString());
    const [offboard] = await eventsFor(after.store, username, 'user.offboard');
    expect(offboard).toMatchObject({
      actor: 'system:grant-reconcile',
      outcome: 'success',
      details: { source: 'iam-tag', reason: 'temporary user ended', temporaryRequestId: request.id },
    });
    const told = slack.callsTo('chat.postMessage').map((c) => String(c.body.channel));
    expect(told.sort()).toEqual([`D${OWNER}`, `D${REQUESTER}`].sort());

    await grantReconcile.run(after);
    expect(await eventsFor(after.store, username, 'user.offboard')).toHaveLength(1);
    if (sc.kept) {
      // The store still held the record: its job finds the user already offboarded and tells nobody twice.
      slack.reset();
      await temporaryAccess.run(after);
      expect(slack.callsTo('chat.postMessage')).toEqual([]);
      const outcomes = (await eventsFor(after.store, username, 'user.offboard')).map((e) => e.outcome);
      expect(outcomes.sort()).toEqual(['noop', 'success']);
    }
  });
});

describe.each(STORES.filter((s) => !s.name.includes('lost')))('the store intact: $name', (sc) => {
  const tag = sc.name.replace(/\W+/g, '-').replace(/-$/, '');

  it('a grant the store knows is claimed, not double-revoked, when the revoke job runs at the same time', async () => {
    const clock = fixedClock(T0);
    const { store } = await sc.open(clock);
    const username = `both-${tag}`;
    await newUser(username);
    // Two "replicas": one runs the revoke job, the other the reconcile, over the same store.
    const a = botDeps(store, clock);
    const b = botDeps(store, clock);
    const { grant } = await grantAccess(a, ask(username, 'group', 'ProdDebug', 10));
    clock.advance(11 * 60_000);
    await Promise.all([revokeDue(a), grantReconcile.run(b)]);
    expect(await groupsOf(username)).toEqual([]);
    expect((await store.grants.get(grant.id))?.status).toBe('revoked');
    const revokes = await eventsFor(store, username, 'grant.revoke');
    expect(revokes).toHaveLength(1);
  });

  it('leaves a grant the store holds as being revoked to whoever holds it', async () => {
    const clock = fixedClock(T0);
    const { store } = await sc.open(clock);
    const username = `claimed-${tag}`;
    await newUser(username);
    const deps = botDeps(store, clock);
    const { grant } = await grantAccess(deps, ask(username, 'group', 'ProdDebug', 10));
    clock.advance(11 * 60_000);
    expect(await store.grants.claimNow(grant.id)).toBeDefined();
    await grantReconcile.run(deps);
    expect(await groupsOf(username)).toEqual(['ProdDebug']);
    expect(await eventsFor(store, username, 'grant.revoke')).toEqual([]);
  });
});

describe('the grant-reconcile job', () => {
  it('runs on jobs.grant_reconcile_schedule: every 5 minutes unless configured (6 fields run by the second)', () => {
    expect(grantReconcile.name).toBe('grant-reconcile');
    expect(grantReconcile.schedule(config)).toBe('*/5 * * * *');
    const bySecond = parseFileConfig(
      { templates: {}, jobs: { grant_reconcile_schedule: '*/30 * * * * *' } },
      'x.yml',
    );
    expect(grantReconcile.schedule({ ...config, jobs: bySecond.jobs })).toBe('*/30 * * * * *');
  });
});

describe('offboarded users past aws-user:delete-after', () => {
  it('are deleted as the offboard sweep would, but never while the sweep itself holds its lease', async () => {
    const clock = fixedClock(T0);
    const deps = botDeps(new MemoryStore({ clock }), clock);
    const username = 'leaver';
    await newUser(username);
    await deps.core.offboardUser(
      { account: MOTO_ACCOUNT, username, removeAfterDays: 1 },
      { actor: 'U0ADMIN', requestId: 'r' },
    );
    clock.advance(86_400_000 + 60_000);
    const sweep = await deps.store.acquireLock('job:offboard-sweep', 60_000);
    await grantReconcile.run(deps);
    expect(await tagsOf(username)).toHaveProperty('aws-user:delete-after');
    await deps.store.releaseLock('job:offboard-sweep', sweep as string);
    await grantReconcile.run(deps);
    await expect(tagsOf(username)).rejects.toThrow(/cannot be found|NoSuchEntity/);
    expect((await eventsFor(deps.store, username, 'user.delete'))[0]).toMatchObject({
      actor: 'system:grant-reconcile',
      outcome: 'success',
      details: { source: 'iam-tag', deleteAfter: new Date(T0.getTime() + 86_400_000).toISOString() },
    });
  });
});

describe('a tag written before the target was recorded (expiry only)', () => {
  it('is revoked when the user holds the group whose grant id it names, else only the tag goes', async () => {
    const clock = fixedClock(T0);
    const deps = botDeps(new MemoryStore({ clock }), clock);
    const username = 'legacy-tag';
    await newUser(username);
    await grantAccess(deps, ask(username, 'group', 'ProdDebug', 10));
    const id = grantId({ account: MOTO_ACCOUNT, username, kind: 'group', target: 'ProdDebug' });
    const stale = grantId({ account: MOTO_ACCOUNT, username, kind: 'group', target: 'Gone' });
    await moto.iam().send(
      new TagUserCommand({
        UserName: username,
        Tags: [
          { Key: `aws-user:grant:${id}`, Value: new Date(T0.getTime() + 10 * 60_000).toISOString() },
          { Key: `aws-user:grant:${stale}`, Value: T0.toISOString() },
        ],
      }),
    );
    const fresh = botDeps(new MemoryStore({ clock }), clock);
    clock.advance(11 * 60_000);
    await grantReconcile.run(fresh);
    expect(await groupsOf(username)).toEqual([]);
    expect(Object.keys(await tagsOf(username)).filter((k) => k.startsWith('aws-user:grant:'))).toEqual([]);
    const events = await eventsFor(fresh.store, username, 'grant.revoke');
    expect(events.find((e) => e.details?.grantId === id)).toMatchObject({
      outcome: 'success',
      details: { source: 'iam-tag', tagFormat: 'expiry-only', grantTarget: 'ProdDebug' },
    });
    expect(events.find((e) => e.details?.grantId === stale)).toMatchObject({
      outcome: 'noop',
      details: { source: 'iam-tag', tagFormat: 'expiry-only' },
    });
  });
});
