import { randomBytes } from 'node:crypto';
import { CreateUserCommand } from '@aws-sdk/client-identitystore';
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
} from '@aws-sdk/client-sso-admin';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PermissionSetConfig } from '../../src/config.js';
import { revokeDue } from '../../src/flows/grants.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { GRANT_ACTIONS } from '../../src/views/grant-messages.js';
import { BREAK_GLASS_CALLBACK, GRANT_BLOCKS, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
import { botConfig, requestIdFrom, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { grantValues } from '../helpers/grants.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';

/**
 * Time-bound IAM Identity Center permission sets through the real receiver, against moto's sso-admin and
 * identitystore: request → approval → CreateAccountAssignment; expiry → DeleteAccountAssignment, once, however
 * many replicas run the revoke job.
 */
const PROD = '222222222222';
const REGION = 'us-east-1';

let moto: Moto;
let fake: FakeSlack;
const bots: TestBot[] = [];
let t: TestBot;
let instanceArn = '';
let adminArn = '';
let prodArn = '';
let ritaId = '';
/** Real time (Bolt checks request timestamps against it) plus what a test moved it forward by. */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await Promise.all([moto?.stop(), fake?.stop()]);
});
afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.stop()));
});

function set(arn: string, over: Partial<PermissionSetConfig> = {}): PermissionSetConfig {
  return {
    arn,
    description: '',
    accounts: [MOTO_ACCOUNT],
    max_duration_hours: 4,
    approvals_required: 1,
    admin_only: false,
    break_glass: false,
    elevation_only: true,
    ...over,
  };
}

function config() {
  return botConfig(fake, {
    accounts: [
      { id: MOTO_ACCOUNT, name: 'home', region: REGION },
      { id: PROD, name: 'prod', region: REGION, role_arn: `arn:aws:iam::${PROD}:role/aws-user` },
    ],
    identity_center: { region: REGION },
    permission_sets: {
      Admin: set(adminArn, { break_glass: true }),
      ProdAdmin: set(prodArn, { accounts: ['*'], admin_only: true }),
    },
  });
}

async function bot(prefix: string): Promise<TestBot> {
  const b = await startBot({ fake, moto, prefix, clock, config: config() });
  bots.push(b);
  return b;
}

beforeEach(async () => {
  offsetMs = 0;
  await moto.reset();
  const inst = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0];
  instanceArn = inst?.InstanceArn ?? '';
  const mk = async (Name: string) =>
    (await moto.ssoAdmin().send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name })))
      .PermissionSet?.PermissionSetArn ?? '';
  adminArn = await mk('Admin');
  prodArn = await mk('ProdAdmin');
  const u = await moto.identityStore().send(
    new CreateUserCommand({
      IdentityStoreId: inst?.IdentityStoreId,
      UserName: 'rita.ic',
      DisplayName: 'Rita',
      Name: { GivenName: 'Rita', FamilyName: 'R' },
      Emails: [{ Value: 'rita@example.com', Primary: true }],
    }),
  );
  ritaId = u.UserId ?? '';
  fake.reset();
  seedSlack(fake);
  t = await bot(`t:icgrant:${randomBytes(6).toString('hex')}:`);
});

async function assigned(arn: string, account = MOTO_ACCOUNT): Promise<string[]> {
  const out = await moto.ssoAdmin().send(
    new ListAccountAssignmentsCommand({
      InstanceArn: instanceArn,
      AccountId: account,
      PermissionSetArn: arn,
    }),
  );
  return (out.AccountAssignments ?? []).map((a) => `${a.PrincipalType}:${a.PrincipalId}`);
}

/** Records every sso-admin command a bot sends; `answer` may replace AWS's answer for one. */
function spySso(b: TestBot, answer?: (name: string) => unknown | Promise<unknown>): string[] {
  const client = b.ctx.clients.ssoAdmin(REGION);
  const real = client.send.bind(client) as (cmd: unknown) => Promise<unknown>;
  const names: string[] = [];
  client.send = (async (cmd: { constructor: { name: string } }) => {
    names.push(cmd.constructor.name);
    const stubbed = await answer?.(cmd.constructor.name);
    return stubbed ?? real(cmd);
  }) as unknown as typeof client.send;
  return names;
}

function submit(
  callbackId: string,
  v: { access?: string; minutes?: number; reason?: string; account?: string },
  user: string = USERS.requester,
) {
  const values = grantValues({
    access: v.access ?? 'permission-set:Admin',
    minutes: v.minutes ?? 60,
    reason: v.reason ?? 'fix the prod outage',
    account: v.account ?? MOTO_ACCOUNT,
  });
  return sendInteraction(t.url, viewSubmission({ user, callbackId, values }));
}

async function approvalRequest(): Promise<{ id: string; text: string }> {
  const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  return { id: requestIdFrom(msg), text: JSON.stringify(msg.body.blocks) };
}

const click = (user: string, id: string) =>
  sendInteraction(t.url, buttonClick({ user, actionId: APPROVE_ACTION, value: id }));

const grantDm = () =>
  fake.waitFor(() =>
    fake
      .callsTo('chat.postMessage')
      .some((c) => JSON.stringify(c.body.blocks ?? '').includes(GRANT_ACTIONS.done)),
  );

async function auditOf(target: string): Promise<string[]> {
  return (await t.store.audit.recent({ target, limit: 200 })).map((e) => `${e.action}:${e.outcome}`);
}

describe('permission sets over Slack', () => {
  it('request → approval creates the assignment; expiry removes it once across two replicas', async () => {
    const res = await submit(GRANT_REQUEST_CALLBACK, {});
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const { id, text } = await approvalRequest();
    expect(text).toContain(`permission set *Admin* in home (${MOTO_ACCOUNT})`);
    expect(text).toContain('Identity Center user `rita.ic`');

    // No self-approval: the requester's click changes nothing in Identity Center.
    await click(USERS.requester, id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await assigned(adminArn)).toEqual([]);

    await click(USERS.approver, id);
    await grantDm();
    expect(await assigned(adminArn)).toEqual([`USER:${ritaId}`]);
    const [g] = await t.store.grants.listActive();
    expect(g).toMatchObject({
      kind: 'permission-set',
      account: MOTO_ACCOUNT,
      target: 'Admin',
      username: 'rita.ic',
      principalId: ritaId,
      permissionSetArn: adminArn,
      status: 'active',
    });

    // A second replica of the same deployment; both run the revoke job once the grant is due.
    const b = await bot(t.store.prefix);
    const sentA = spySso(t);
    const sentB = spySso(b);
    offsetMs += 61 * 60_000;
    const [ra, rb] = await Promise.all([revokeDue(t.deps), revokeDue(b.deps)]);
    expect(ra.revoked + rb.revoked).toBe(1);
    expect(await assigned(adminArn)).toEqual([]);
    const deletes = [...sentA, ...sentB].filter((n) => n === 'DeleteAccountAssignmentCommand');
    expect(deletes).toHaveLength(1);
    expect((await auditOf('rita.ic')).filter((a) => a === 'grant.revoke:success')).toHaveLength(1);
    expect((await t.store.grants.get(g?.id ?? ''))?.status).toBe('revoked');
  });

  it('an admin_only set is not granted on an approver’s click, only on an admin’s', async () => {
    await submit(GRANT_REQUEST_CALLBACK, { access: 'permission-set:ProdAdmin' });
    const { id, text } = await approvalRequest();
    expect(text).toContain('(admins only)');
    await click(USERS.approver, id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await assigned(prodArn)).toEqual([]);
    await click(USERS.admin, id);
    await grantDm();
    expect(await assigned(prodArn)).toEqual([`USER:${ritaId}`]);
  });

  it('refuses an assignment the user holds as standing access, and leaves it in place', async () => {
    await moto.ssoAdmin().send(
      new CreateAccountAssignmentCommand({
        InstanceArn: instanceArn,
        TargetId: MOTO_ACCOUNT,
        TargetType: 'AWS_ACCOUNT',
        PermissionSetArn: adminArn,
        PrincipalType: 'USER',
        PrincipalId: ritaId,
      }),
    );
    await submit(GRANT_REQUEST_CALLBACK, {});
    const { id } = await approvalRequest();
    await click(USERS.approver, id);
    await fake.waitFor(() =>
      fake.callsTo('chat.update').some((c) => JSON.stringify(c.body.blocks).includes('permanently')),
    );
    expect(await assigned(adminArn)).toEqual([`USER:${ritaId}`]);
    expect(await t.store.grants.listActive()).toEqual([]);
  });

  it('break-glass on a break_glass set grants at once and broadcasts; a set without it is refused inline', async () => {
    const refused = await submit(BREAK_GLASS_CALLBACK, { access: 'permission-set:ProdAdmin', minutes: 30 });
    expect(refused.json()).toEqual({
      response_action: 'errors',
      errors: { [GRANT_BLOCKS.access]: expect.stringMatching(/not configured for break-glass/) },
    });
    const res = await submit(BREAK_GLASS_CALLBACK, { minutes: 30, reason: 'the database is on fire' });
    expect(res.text).toBe('');
    await fake.waitFor(() =>
      fake.callsTo('chat.postMessage').some((c) => String(c.body.text).startsWith('Break-glass')),
    );
    expect(await assigned(adminArn)).toEqual([`USER:${ritaId}`]);
    const [g] = await t.store.grants.listActive();
    expect(g?.breakGlass).toBe(true);
    expect(await auditOf('rita.ic')).toContain('grant.break-glass:success');
  });

  it('refuses at submit an account outside the set’s accounts (a crafted value)', async () => {
    const res = await submit(GRANT_REQUEST_CALLBACK, { account: PROD });
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: {
        [GRANT_BLOCKS.account]: expect.stringMatching(/Admin may not be requested in account 222222222222/),
      },
    });
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('a set with "*" may be requested in every managed account', async () => {
    const res = await submit(GRANT_REQUEST_CALLBACK, { access: 'permission-set:ProdAdmin', account: PROD });
    expect(res.text).toBe('');
    const { text } = await approvalRequest();
    expect(text).toContain(`permission set *ProdAdmin* in prod (${PROD})`);
  });

  it('a requester with no Identity Center user gets an inline error naming the email looked up', async () => {
    const res = await submit(GRANT_REQUEST_CALLBACK, {}, USERS.alice);
    expect(res.json()).toEqual({
      response_action: 'errors',
      errors: {
        [GRANT_BLOCKS.access]: expect.stringMatching(
          /No Identity Center user has the email alice@example\.com/,
        ),
      },
    });
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('FAILED from AWS is reported with its reason and leaves no live grant behind', async () => {
    spySso(t, (name) =>
      name === 'CreateAccountAssignmentCommand'
        ? {
            AccountAssignmentCreationStatus: {
              Status: 'FAILED',
              FailureReason: 'Received a 404 status error: No permission set found',
              RequestId: 'r-1',
            },
          }
        : undefined,
    );
    await submit(GRANT_REQUEST_CALLBACK, {});
    const { id } = await approvalRequest();
    await click(USERS.approver, id);
    await fake.waitFor(() =>
      fake
        .callsTo('chat.update')
        .some((c) => JSON.stringify(c.body.blocks).includes('No permission set found')),
    );
    expect(await t.store.grants.listActive()).toEqual([]);
    const all = await t.store.grants.claimDue(new Date(Date.now() + 365 * 86_400_000), 10);
    expect(all).toEqual([]);
    expect(await assigned(adminArn)).toEqual([]);
  });

  it('the grant record is in the store, active, before CreateAccountAssignment is sent', async () => {
    const seen: string[][] = [];
    spySso(t, async (name) => {
      if (name === 'CreateAccountAssignmentCommand')
        seen.push(
          (await t.store.grants.listActive()).map((g) => `${g.kind}:${g.principalId}:${g.permissionSetArn}`),
        );
      return undefined;
    });
    await submit(GRANT_REQUEST_CALLBACK, {});
    const { id } = await approvalRequest();
    await click(USERS.approver, id);
    await grantDm();
    expect(seen).toEqual([[`permission-set:${ritaId}:${adminArn}`]]);
  });
});
