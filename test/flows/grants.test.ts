import { randomUUID } from 'node:crypto';
import { CreateGroupCommand, CreateUserCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Config, parseFileConfig } from '../../src/config.js';
import { fixedClock } from '../../src/core/clock.js';
import { Auditor, bindCore, MemoryAuditSink } from '../../src/core/index.js';
import { LimitError, UnauthorizedError, ValidationError } from '../../src/errors.js';
import {
  breakGlass,
  type GrantDeps,
  grantAccess,
  revokeDue,
  revokeNow,
  sendExpiryNotices,
} from '../../src/flows/grants.js';
import { silentLogger } from '../../src/logger.js';
import { Roles } from '../../src/slack/roles.js';
import type { RedisStore } from '../../src/store/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { redisStore } from '../helpers/store.js';

let moto: Moto;
let slack: FakeSlack;
const stores: RedisStore[] = [];
const T0 = new Date('2026-03-01T10:00:00Z');

const config = {
  ...parseFileConfig(
    {
      accounts: [{ id: MOTO_ACCOUNT, name: 'home' }],
      templates: {
        developer: { groups: [], grantable: { groups: ['ProdDebug'] } },
        readonly: { groups: [], break_glass: true, grantable: { groups: ['ProdDebug'] } },
      },
      slack: { approvals_channel: 'C0APPROVALS', admins: ['U0ADMIN', 'S0ADMINS'] },
      break_glass: { max_duration_minutes: 60, per_user_per_day: 2 },
    },
    'test',
  ),
  source: 'test',
} as Config;

/** One "replica": its own Redis connection and store handle over a shared prefix, its own audit sink. */
async function replica(prefix: string, clock = fixedClock(T0)) {
  const sink = new MemoryAuditSink();
  const logger = silentLogger();
  const store = await redisStore(prefix);
  stores.push(store);
  const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const deps: GrantDeps = {
    config,
    clock,
    logger,
    core: bindCore({
      config,
      clients: moto.clients(config.accounts, { clock }),
      auditor: new Auditor(sink, clock, logger),
      clock,
      logger,
    }),
    client,
    store,
    roles: new Roles(config, client, clock, logger),
  };
  return { deps, sink, clock };
}

async function groupsOf(user: string) {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: user }));
  return (r.Groups ?? []).map((g) => g.GroupName);
}

beforeAll(async () => {
  [moto, slack] = await Promise.all([startMoto(), startFakeSlack()]);
  slack.addUsergroup('S0ADMINS', ['U0ADMIN2']);
  await moto.iam().send(new CreateGroupCommand({ GroupName: 'ProdDebug' }));
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all([moto?.stop(), slack?.stop()]);
});
beforeEach(() => slack.reset());

const ask = (username: string, over: Record<string, unknown> = {}) => ({
  requester: 'U1',
  ownerSlackId: 'U1',
  account: MOTO_ACCOUNT,
  username,
  template: 'developer',
  kind: 'group' as const,
  target: 'ProdDebug',
  durationMinutes: 120,
  reason: 'incident 7',
  approvers: ['U2'],
  breakGlass: false,
  ...over,
});

describe('grant lifecycle', () => {
  it('grants, notifies 15 minutes before, and two replicas revoke on time exactly once', async () => {
    await moto.iam().send(new CreateUserCommand({ UserName: 'alice' }));
    const prefix = `t:${randomUUID()}:`;
    const a = await replica(prefix);
    const b = await replica(prefix);
    const { grant } = await grantAccess(a.deps, ask('alice'));
    expect(await groupsOf('alice')).toEqual(['ProdDebug']);
    expect(slack.callsTo('chat.postMessage').at(-1)?.body.channel).toBe('U1');

    for (const r of [a, b]) r.clock.set(new Date(T0.getTime() + 104 * 60_000));
    expect(await sendExpiryNotices(a.deps)).toBe(0);
    for (const r of [a, b]) r.clock.set(new Date(T0.getTime() + 105 * 60_000));
    const notices = await Promise.all([sendExpiryNotices(a.deps), sendExpiryNotices(b.deps)]);
    expect(notices.sort()).toEqual([0, 1]);
    const notice = slack.callsTo('chat.postMessage').at(-1);
    expect(JSON.stringify(notice?.body.blocks)).toContain('grant_extend');

    for (const r of [a, b]) r.clock.set(new Date(T0.getTime() + 119 * 60_000));
    await Promise.all([revokeDue(a.deps), revokeDue(b.deps)]);
    expect(await groupsOf('alice')).toEqual(['ProdDebug']);

    for (const r of [a, b]) r.clock.set(new Date(T0.getTime() + 120 * 60_000));
    const results = await Promise.all([revokeDue(a.deps), revokeDue(b.deps)]);
    expect(results.map((r) => r.revoked).sort()).toEqual([0, 1]);
    expect(await groupsOf('alice')).toEqual([]);
    const revokes = [...a.sink.events, ...b.sink.events].filter((e) => e.action === 'grant.revoke');
    expect(revokes).toHaveLength(1);
    expect((await a.deps.store.grants.get(grant.id))?.status).toBe('revoked');
  });

  it("I'm done revokes at once, only for the holder or an admin, and only once", async () => {
    await moto.iam().send(new CreateUserCommand({ UserName: 'bob' }));
    const { deps } = await replica(`t:${randomUUID()}:`);
    const { grant } = await grantAccess(deps, ask('bob'));
    await expect(revokeNow(deps, grant.id, 'U9', false)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(await groupsOf('bob')).toEqual(['ProdDebug']);
    const [first, second] = await Promise.all([
      revokeNow(deps, grant.id, 'U1', false),
      revokeNow(deps, grant.id, 'U1', false),
    ]);
    expect([first.revoked, second.revoked].sort()).toEqual([false, true]);
    expect(await groupsOf('bob')).toEqual([]);
  });

  it('merges an overlapping request into one grant with the later expiry', async () => {
    await moto.iam().send(new CreateUserCommand({ UserName: 'carol' }));
    const { deps } = await replica(`t:${randomUUID()}:`);
    await grantAccess(deps, ask('carol', { durationMinutes: 240 }));
    const second = await grantAccess(deps, ask('carol', { durationMinutes: 60, approvers: ['U3'] }));
    expect(second.extended).toBe(true);
    expect(second.grant.expiresAt).toBe(new Date(T0.getTime() + 240 * 60_000).toISOString());
    expect(await deps.store.grants.listActive({ username: 'carol' })).toHaveLength(1);
  });
});

describe('break-glass', () => {
  it('refuses a template not configured for it, leaving IAM untouched', async () => {
    await moto.iam().send(new CreateUserCommand({ UserName: 'dave' }));
    const { deps } = await replica(`t:${randomUUID()}:`);
    await expect(
      breakGlass(deps, { ...ask('dave'), durationMinutes: 30, reason: 'prod is down, need logs' }),
    ).rejects.toThrow(ValidationError);
    expect(await groupsOf('dave')).toEqual([]);
  });

  it('requires a real reason', async () => {
    const { deps } = await replica(`t:${randomUUID()}:`);
    await expect(breakGlass(deps, { ...ask('dave', { template: 'readonly' }), reason: 'x' })).rejects.toThrow(
      /reason:/,
    );
  });

  it('grants at once, broadcasts to the approvals channel and every admin, flags for review, and is rate limited', async () => {
    await moto.iam().send(new CreateUserCommand({ UserName: 'erin' }));
    const { deps, sink } = await replica(`t:${randomUUID()}:`);
    const bg = {
      ...ask('erin', { template: 'readonly' }),
      durationMinutes: 30,
      reason: 'prod is down, need logs',
    };
    const g = await breakGlass(deps, bg);
    expect(g.breakGlass).toBe(true);
    expect(await groupsOf('erin')).toEqual(['ProdDebug']);
    const channels = slack.callsTo('chat.postMessage').map((c) => c.body.channel);
    expect(channels).toEqual(expect.arrayContaining(['C0APPROVALS', 'U0ADMIN', 'U0ADMIN2']));
    expect(sink.events.some((e) => e.action === 'grant.break-glass.review-required')).toBe(true);

    await revokeNow(deps, g.id, 'U0ADMIN', true);
    expect(await groupsOf('erin')).toEqual([]);
    await breakGlass(deps, bg); // second use today
    await expect(breakGlass(deps, bg)).rejects.toBeInstanceOf(LimitError);
  });
});
