import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { executeRequest } from '../../src/flows/requests/execute.js';
import { newRequest } from '../../src/flows/requests/file.js';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import {
  botConfig,
  createValues,
  requestIdFrom,
  seedSlack,
  startBot,
  submitCreate,
  type TestBot,
  USERS,
} from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';

/**
 * Issue 10's privilege findings, through the real receiver: every field but the signed user is what an
 * attacker would type. Each test here failed before its fix (see the issue note for the messages).
 */
let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

/** The example config, with Administrators (the admin template's group) offered as a developer extra. */
function config(): Config {
  const base = botConfig(fake);
  const developer = base.templates.developer;
  if (!developer) throw new Error('config.example.yml lost its developer template');
  return {
    ...base,
    templates: {
      ...base.templates,
      developer: { ...developer, extra_groups: ['Administrators', 'Finance'] },
    },
  };
}

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
  await createGroups(moto.iam(), ['Developers', 'ReadOnly', 'Administrators', 'Finance', 'ProdDebug']);
  fake.reset();
  seedSlack(fake);
  t = await startBot({ fake, moto, config: config() });
});

type Submitted = { response_action?: string; errors?: Record<string, string> };

async function submit(values: ReturnType<typeof createValues>): Promise<Submitted> {
  const res = await submitCreate(t, values);
  expect(res.status).toBe(200);
  return res.text ? (res.json() as Submitted) : {};
}

async function filed(): Promise<PendingRequest> {
  const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  const r = await t.store.getRequest(requestIdFrom(msg));
  if (!r) throw new Error('the approval message names no stored request');
  return r;
}

async function approve(user: string, id: string): Promise<void> {
  const res = await sendInteraction(t.url, buttonClick({ user, actionId: APPROVE_ACTION, value: id }));
  expect(res.status).toBe(200);
}

/** A create request as an approver's click leaves it (approving), stored and then executed; returns it after. */
async function runApproved(over: Partial<PendingRequest> & Pick<PendingRequest, 'target'>) {
  const r = newRequest(t.deps, {
    kind: 'create',
    requester: USERS.requester,
    template: 'developer',
    account: t.deps.core.accounts.home().id,
    justification: 'test',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    ...over,
  });
  const approving: PendingRequest = {
    ...r,
    status: 'approving',
    approvals: [{ user: USERS.approver, at: new Date().toISOString() }],
    decidedBy: USERS.approver,
    decidedAt: new Date().toISOString(),
  };
  await t.store.createRequest(approving);
  await executeRequest(t.deps, approving);
  return t.store.getRequest(r.id);
}

function approvalText(): string {
  return JSON.stringify(fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0APPROVALS'));
}

describe('extra groups take the strictest approval of any template that grants them', () => {
  it('refuses inline an extra group that is not on the template’s allow-list, and records nothing', async () => {
    const answer = await submit(createValues({ template: 'readonly', groups: 'Administrators' }));
    expect(answer.response_action).toBe('errors');
    expect(answer.errors?.extra_groups).toMatch(/"Administrators" is not offered with template readonly/);
    expect(answer.errors?.extra_groups).toContain('templates.readonly.extra_groups');
    expect(await t.store.listPending()).toEqual([]);
  });

  it('files Administrators as an extra group under the admin template’s admins and quorum', async () => {
    expect(await submit(createValues({ groups: 'Administrators' }))).toEqual({});
    const r = await filed();
    expect(r).toMatchObject({ adminOnly: true, approvalsNeeded: 2, extraGroups: ['Administrators'] });
    expect(approvalText()).toContain('Elevated access');
    expect(approvalText()).toMatch(/group \*Administrators\*.*template \*admin\*/);

    // One ordinary approver's click, which used to create a user in Administrators, now does nothing.
    await approve(USERS.approver, r.id);
    const told = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.approver);
    expect(String(told.body.text)).toContain('Only an admin can approve');
    expect((await t.store.getRequest(r.id))?.status).toBe('pending');
    expect(t.iamCommands).not.toContain('CreateUser');
  });

  it('refuses at execution access that the config made stricter after the request was filed', async () => {
    // Filed while Administrators needed nothing special; since then the admin template took it over.
    const after = await runApproved({
      target: { username: 'alice', email: 'alice@example.com', slackUserId: USERS.alice },
      extraGroups: ['Administrators'],
    });
    expect(after?.status).toBe('failed');
    expect(after?.outcome).toMatch(/needs 2 approval\(s\) from admins/);
    expect(t.iamCommands).not.toContain('CreateUser');
  });

  it('keeps an allowed extra group that no stricter template grants at the template’s own rule', async () => {
    expect(await submit(createValues({ groups: 'ProdDebug' }))).toEqual({});
    const r = await filed();
    expect(r).toMatchObject({ adminOnly: false, approvalsNeeded: 1, extraGroups: ['ProdDebug'] });
    expect(approvalText()).not.toContain('Elevated access');
  });
});

describe('the owner is resolved when the request is filed', () => {
  it('resolves an owner given only by email, so that owner cannot approve their own access', async () => {
    const values = createValues({ owner: '', username: 'amir', email: 'amir@example.com' });
    expect(await submit(values)).toEqual({});
    const r = await filed();
    expect(r.target.slackUserId).toBe(USERS.approver);

    await approve(USERS.approver, r.id);
    const told = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.approver);
    expect(String(told.body.text)).toContain('You cannot approve access for yourself');
    expect((await t.store.getRequest(r.id))?.status).toBe('pending');
    expect(t.iamCommands).not.toContain('CreateUser');
  });

  it('refuses inline a request whose owner no Slack user matches', async () => {
    const values = createValues({ owner: '', username: 'ghost', email: 'ghost@example.com' });
    const answer = await submit(values);
    expect(answer.errors?.email).toMatch(/No Slack user has the email ghost@example.com/);
    expect(await t.store.listPending()).toEqual([]);
  });

  it('checks again at execution that no approver is the owner, before any IAM call', async () => {
    // A request stored before this rule (no owner id), or by a replica that skipped the click check.
    const after = await runApproved({
      target: { username: 'amir', email: 'amir@example.com' },
    });
    expect(after?.status).toBe('failed');
    expect(after?.outcome).toMatch(/approved by its own owner/);
    expect(t.iamCommands).not.toContain('CreateUser');
  });
});

describe('every value is bounded on submission, and execution fails before IAM', () => {
  for (const duration of ['1e12', '-1', '0.5', 'NaN', '999']) {
    it(`refuses a duration of ${duration} inline`, async () => {
      const answer = await submit(createValues({ duration }));
      expect(answer.errors?.duration).toMatch(/Choose one of the offered durations/);
      expect(await t.store.listPending()).toEqual([]);
    });
  }

  it('fails a stored request with an impossible duration before the first IAM call', async () => {
    const after = await runApproved({
      target: { username: 'alice', email: 'alice@example.com', slackUserId: USERS.alice },
      durationHours: 1e12,
    });
    expect(after?.status).toBe('failed');
    expect(after?.outcome).toMatch(/duration/);
    expect(t.iamCommands).not.toContain('CreateUser');
  });
});
