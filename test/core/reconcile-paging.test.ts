import {
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsCommandInput,
  IAMClient,
  type UserDetail,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Auditor, MemoryAuditSink } from '../../src/core/audit.js';
import { AccountClients } from '../../src/core/aws/accounts.js';
import { fixedClock } from '../../src/core/clock.js';
import type { CoreContext } from '../../src/core/context.js';
import { grantId } from '../../src/core/grants.js';
import { findOverdue } from '../../src/core/reconcile.js';
import { grantTagValue, parseGrantTag, parseTemporaryTag, temporaryTagValue } from '../../src/core/tags.js';
import { silentLogger } from '../../src/logger.js';
import { testConfig, who } from '../helpers/core.js';

/** AWS pages GetAccountAuthorizationDetails at up to 1,000 users following Marker; moto returns one page. */
const iam = mockClient(IAMClient); // every client, so a member account's AssumeRole is never reached
afterEach(() => {
  iam.reset();
});

const HOME = '111111111111';
const MEMBER = '222222222222';
const NOW = new Date('2026-03-01T10:00:00Z');
const PAST = '2026-03-01T09:00:00.000Z';
const FUTURE = '2026-03-01T11:00:00.000Z';

function ctxOver(): CoreContext {
  const accounts = [
    { id: HOME, name: 'home', region: 'us-east-1' },
    { id: MEMBER, name: 'member', region: 'us-east-1', role_arn: `arn:aws:iam::${MEMBER}:role/aws-user` },
  ];
  const clock = fixedClock(NOW);
  return {
    config: { ...testConfig(), accounts },
    clients: new AccountClients(accounts, {
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      clock,
    }),
    auditor: new Auditor(new MemoryAuditSink(), clock, silentLogger()),
    clock,
    logger: silentLogger(),
    sleep: async () => undefined,
  };
}

/** `n` users; user 0 holds an overdue grant of ProdDebug, user 1 one that is not due yet. */
function stubUsers(n: number): void {
  const user = (i: number, account: string): UserDetail => {
    const username = `u${i}`;
    const spec = { account, username, kind: 'group' as const, target: 'ProdDebug' };
    const tags =
      i < 2
        ? [
            {
              Key: `aws-user:grant:${grantId(spec)}`,
              Value: grantTagValue(i === 0 ? PAST : FUTURE, 'group', 'ProdDebug'),
            },
          ]
        : [{ Key: 'Email', Value: `${username}@example.com` }];
    return { UserName: username, GroupList: i < 2 ? ['ProdDebug'] : [], Tags: tags };
  };
  iam
    .on(GetAccountAuthorizationDetailsCommand)
    .callsFake(async (input: GetAccountAuthorizationDetailsCommandInput) => {
      const start = input.Marker ? Number(input.Marker) : 0;
      const size = Math.min(input.MaxItems ?? 100, 1000);
      const end = Math.min(n, start + size);
      // The account is not in the input: the test reads one account at a time and says which (pendingAccount).
      const users = Array.from({ length: end - start }, (_, k) => user(start + k, pendingAccount));
      return { UserDetailList: users, IsTruncated: end < n, ...(end < n ? { Marker: String(end) } : {}) };
    });
}
let pendingAccount = HOME;

describe('findOverdue: one GetAccountAuthorizationDetails call per 1,000 users, per account', () => {
  it.each([10, 2_500, 5_000])('with %i users per account', async (n) => {
    stubUsers(n);
    const ctx = ctxOver();
    // Accounts are read one after another here, so each page knows which account it answers for.
    ctx.config = { ...ctx.config, inactivity: { ...ctx.config.inactivity, concurrency: 1 } };
    const found = { grants: [] as { account: string; username: string }[], accounts: [] as unknown[] };
    for (const account of [HOME, MEMBER]) {
      pendingAccount = account;
      const r = await findOverdue(ctx, who, { accounts: [account] });
      found.grants.push(...r.grants);
      found.accounts.push(...r.accounts);
    }
    const pages = Math.ceil(n / 1000);
    expect(found.accounts).toEqual([
      { account: HOME, users: n, calls: pages },
      { account: MEMBER, users: n, calls: pages },
    ]);
    // Only the page reads: no per-user call of any kind.
    expect(iam.calls()).toHaveLength(2 * pages);
    const inputs = iam.commandCalls(GetAccountAuthorizationDetailsCommand).map((c) => c.args[0].input);
    expect(inputs.every((i) => i.MaxItems === 1000 && i.Filter?.[0] === 'User')).toBe(true);
    expect(inputs.slice(0, pages).map((i) => i.Marker)).toEqual(
      Array.from({ length: pages }, (_, p) => (p === 0 ? undefined : String(p * 1000))),
    );
    // The overdue grant, and only it, in each account; its target comes from the tag.
    expect(found.grants).toEqual([
      expect.objectContaining({
        account: HOME,
        username: 'u0',
        spec: expect.objectContaining({ target: 'ProdDebug' }),
      }),
      expect.objectContaining({
        account: MEMBER,
        username: 'u0',
        spec: expect.objectContaining({ target: 'ProdDebug' }),
      }),
    ]);
  });

  it('reports an account it cannot read and still reads the others', async () => {
    const ctx = ctxOver();
    ctx.config = { ...ctx.config, inactivity: { ...ctx.config.inactivity, concurrency: 1 } };
    const spec = { account: HOME, username: 'u0', kind: 'group' as const, target: 'ProdDebug' };
    const overdue = {
      Key: `aws-user:grant:${grantId(spec)}`,
      Value: grantTagValue(PAST, 'group', 'ProdDebug'),
    };
    // HOME is read first and answers; MEMBER's read is refused.
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({ UserDetailList: [{ UserName: 'u0', GroupList: ['ProdDebug'], Tags: [overdue] }] })
      .rejects(new Error('AccessDenied: not authorized'));
    const r = await findOverdue(ctx, who);
    expect(r.accounts.find((a) => a.account === MEMBER)?.error).toMatch(/AccessDenied/);
    expect(r.accounts.find((a) => a.account === HOME)).toMatchObject({ users: 1, calls: 1 });
    expect(r.grants.map((g) => g.account)).toEqual([HOME]);
  });
});

describe('the expiry tags', () => {
  it('round-trip, and an expiry-only grant tag still reads', () => {
    const policy = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    expect(parseGrantTag(grantTagValue(PAST, 'policy', policy))).toEqual({
      expiresAt: PAST,
      kind: 'policy',
      target: policy,
    });
    expect(parseGrantTag(PAST)).toEqual({ expiresAt: PAST });
    expect(parseGrantTag('not a date')).toBeUndefined();
    const t = { endsAt: PAST, requestId: 'b1c2-33', requester: 'UREQ' };
    expect(parseTemporaryTag(temporaryTagValue(t))).toEqual(t);
    // A part that cannot be an IAM tag value is left out rather than failing the create.
    expect(temporaryTagValue({ endsAt: PAST, requester: 'bad,actor' })).toBe(PAST);
  });
});
