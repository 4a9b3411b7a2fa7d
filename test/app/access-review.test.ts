import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
} from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import type { ReviewItem } from '../../src/core/index.js';
import { reviewTick } from '../../src/flows/review/lifecycle.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import {
  REVIEW_ACTIONS,
  REVIEW_BLOCKS,
  REVIEW_COMMENT_CALLBACK,
  REVIEW_REASSIGN_CALLBACK,
} from '../../src/views/review.js';
import { botConfig, requestIdFrom, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeJira, startFakeJira } from '../helpers/fake-jira.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import {
  buttonClick,
  SIGNING_SECRET,
  sendCommand,
  sendInteraction,
  viewSubmission,
} from '../helpers/slack-requests.js';

/**
 * A whole quarterly access review through the real receiver, against moto: an admin starts it from Slack,
 * a manager keeps some access (with a comment where it is unused) and revokes a policy, an approver
 * approves the revocation and IAM loses the policy, a fallback reviewer hands an item over, the deadline
 * passes and the undecided items escalate, and the closing report (CSV and JSON, uploaded to the channel,
 * with a Jira ticket) holds every decision. Every click is signed; only the signed user is trusted.
 */
let moto: Moto;
let fake: FakeSlack;
let jira: FakeJira;
let t: TestBot;
const JIRA = { email: 'bot@example.com', apiToken: 'jira-token-test' };
// 100 days on: a console never used is unused (beyond 90 days); a key used today is not (180 days).
const clock = fixedClock(new Date(Date.now() + 100 * DAY_MS));
const FALLBACK = USERS.approver2;
const CHANNEL = 'C0REVIEWS';

/** Signed at the bot's clock: freshness is judged on the injected clock. */
const at = () => ({ timestamp: Math.floor(clock.now().getTime() / 1000) });
const click = (user: string, actionId: string, value: string, messageTs = '9.9') =>
  sendInteraction(t.url, buttonClick({ user, actionId, value, channel: `D${user}`, messageTs }), at());
const submit = (
  user: string,
  callbackId: string,
  itemId: string,
  values: Record<string, Record<string, Record<string, unknown>>>,
) => sendInteraction(t.url, viewSubmission({ user, callbackId, values, privateMetadata: itemId }), at());

/** An access key, used once: its holder's groups and policies are in use. */
async function usedKey(userName: string) {
  const key = (await moto.iam().send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  const asUser = new IAMClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' },
  });
  await asUser.send(new GetUserCommand({}));
  asUser.destroy();
}

beforeAll(async () => {
  [moto, fake, jira] = await Promise.all([startMoto(), startFakeSlack(), startFakeJira(JIRA)]);
  seedSlack(fake);
  const iam = moto.iam();
  await createGroups(iam, ['devs', 'ops']);
  const policy = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'BillingRead',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'aws-portal:ViewBilling', Resource: '*' }],
      }),
    }),
  );
  // bob reports to alice: a console nobody used (keeping it needs a comment), two groups and a policy.
  await iam.send(
    new CreateUserCommand({
      UserName: 'bob',
      Tags: [
        { Key: 'Manager', Value: 'alice@example.com' },
        { Key: 'Email', Value: 'bob@example.com' },
      ],
    }),
  );
  await iam.send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'Initial-Pass-123!' }));
  await iam.send(new AddUserToGroupCommand({ UserName: 'bob', GroupName: 'devs' }));
  await iam.send(new AddUserToGroupCommand({ UserName: 'bob', GroupName: 'ops' }));
  await iam.send(
    new AttachUserPolicyCommand({ UserName: 'bob', PolicyArn: policy.Policy?.Arn ?? 'missing' }),
  );
  // alice's own IAM user names alice as her manager: it must never reach her.
  await iam.send(
    new CreateUserCommand({
      UserName: 'alice',
      Tags: [
        { Key: 'Manager', Value: 'alice@example.com' },
        { Key: 'SlackUserId', Value: USERS.alice },
      ],
    }),
  );
  await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'devs' }));
  // carl has no manager: the fallback reviewer gets him.
  await iam.send(new CreateUserCommand({ UserName: 'carl' }));
  await iam.send(new AddUserToGroupCommand({ UserName: 'carl', GroupName: 'ops' }));
  for (const u of ['bob', 'alice', 'carl']) await usedKey(u);

  const base = botConfig(fake);
  t = await startBot({
    fake,
    moto,
    clock,
    config: {
      ...base,
      accounts: [{ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' }],
      review: {
        fallback_reviewers: [FALLBACK],
        channel: CHANNEL,
        due_days: 14,
        reminder_days: 3,
        escalation_days: 3,
        revoke_without_approval: false,
      },
      jira: { base_url: jira.url, project_key: 'SEC', issue_type: 'Task', email: JIRA.email },
      env: parseEnv({
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        JIRA_API_TOKEN: JIRA.apiToken,
      }),
    },
  });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop(), jira?.stop()]);
});

async function campaignId(): Promise<string> {
  const [c] = await t.store.reviews.listCampaigns();
  if (!c) throw new Error('no campaign');
  return c.id;
}

async function item(cid: string, principal: string, name: string): Promise<ReviewItem> {
  const all = await t.store.reviews.items(cid);
  const found = all.find((i) => i.principal.name === principal && i.entitlement.name.includes(name));
  if (!found) throw new Error(`no item ${principal}/${name}`);
  return found;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a quarterly access review, end to end', () => {
  it('runs from start to the auditor’s report', async () => {
    // A requester may not start a campaign; the admin can.
    await sendCommand(
      t.url,
      { user_id: USERS.requester, text: 'review start', response_url: fake.responseUrl('requester') },
      at(),
    );
    const no = await fake.waitForCall('response_url', (c) => JSON.stringify(c.body).includes('Only admins'));
    expect(no).toBeDefined();
    expect(await t.store.reviews.listCampaigns()).toEqual([]);

    await sendCommand(t.url, { user_id: USERS.admin, text: 'review start --name "Q1 2027" --due 14d' }, at());
    const cid = await until('the campaign to open', async () => {
      const [c] = await t.store.reviews.listCampaigns({ status: ['open'] });
      return c?.id;
    });
    expect(cid).toBe(await campaignId());

    // Reviewers: alice for bob (her report), the fallback for carl and for alice's own access.
    const bobGroup = await item(cid, 'bob', 'devs');
    expect(bobGroup.evidence.unused).toBe(false);
    const bobOps = await item(cid, 'bob', 'ops');
    const bobConsole = await item(cid, 'bob', 'console');
    expect(bobConsole.evidence.unused).toBe(true);
    const bobPolicy = await item(cid, 'bob', 'BillingRead');
    const aliceOwn = await item(cid, 'alice', 'devs');
    const carlOps = await item(cid, 'carl', 'ops');
    for (const i of [bobGroup, bobOps, bobConsole, bobPolicy]) expect(i.reviewer).toBe(USERS.alice);
    expect(aliceOwn).toMatchObject({ reviewer: FALLBACK, ownerSlackId: USERS.alice });
    expect(carlOps).toMatchObject({ reviewer: FALLBACK, reviewerSource: 'fallback' });

    // Each reviewer got a DM whose buttons carry only their item ids; the channel shows progress.
    const dm = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === `D${USERS.alice}`);
    const values = JSON.stringify(dm.body.blocks);
    expect(values).toContain(bobGroup.id);
    expect(values).not.toContain(carlOps.id);
    await fake.waitForCall('chat.postMessage', (c) => c.body.channel === CHANNEL);

    // Self-review is impossible: a crafted Keep by alice on her own item is refused.
    await click(USERS.alice, REVIEW_ACTIONS.keep, aliceOwn.id);
    await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.alice);
    expect((await t.store.reviews.getItem(aliceOwn.id))?.decision).toBeUndefined();

    // alice keeps a group; keeping the unused console needs a comment, through the modal.
    await click(USERS.alice, REVIEW_ACTIONS.keep, bobGroup.id);
    await until('the keep', async () => (await t.store.reviews.getItem(bobGroup.id))?.decision);
    await click(USERS.alice, REVIEW_ACTIONS.keep, bobConsole.id);
    const modal = await fake.waitForCall('views.open', (c) =>
      JSON.stringify(c.body.view).includes(REVIEW_COMMENT_CALLBACK),
    );
    expect((modal.body.view as { private_metadata: string }).private_metadata).toBe(bobConsole.id);
    expect((await t.store.reviews.getItem(bobConsole.id))?.decision).toBeUndefined();
    const commented = await submit(USERS.alice, REVIEW_COMMENT_CALLBACK, bobConsole.id, {
      [REVIEW_BLOCKS.comment]: {
        [REVIEW_BLOCKS.comment]: { type: 'plain_text_input', value: 'On-call break-glass login' },
      },
    });
    expect(commented.status).toBe(200);
    expect(
      await until('the console keep', async () => (await t.store.reviews.getItem(bobConsole.id))?.decision),
    ).toMatchObject({ outcome: 'keep', by: USERS.alice, comment: 'On-call break-glass login' });

    // alice revokes the billing policy: an approval request, which she cannot approve herself.
    await click(USERS.alice, REVIEW_ACTIONS.revoke, bobPolicy.id);
    const approval = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body.blocks).includes('BillingRead'),
    );
    const requestId = requestIdFrom(approval);
    expect((await t.store.reviews.getItem(bobPolicy.id))?.revocation).toMatchObject({
      status: 'requested',
      requestId,
    });
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.alice, actionId: APPROVE_ACTION, value: requestId }),
      at(),
    );
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: requestId }),
      at(),
    );
    const revocation = await until('the revocation', async () => {
      const r = (await t.store.reviews.getItem(bobPolicy.id))?.revocation;
      return r?.status === 'done' || r?.status === 'failed' ? r : undefined;
    });
    expect(revocation.status).toBe('done');
    const attached = await moto.iam().send(new ListAttachedUserPoliciesCommand({ UserName: 'bob' }));
    expect(attached.AttachedPolicies ?? []).toEqual([]);
    const request = await t.store.getRequest(requestId);
    expect(request?.approvals.map((a) => a.user)).toEqual([USERS.approver]);

    // The fallback hands carl's item to amir; handing alice's own item to alice is refused.
    const refused = await submit(FALLBACK, REVIEW_REASSIGN_CALLBACK, aliceOwn.id, {
      [REVIEW_BLOCKS.reassignTo]: {
        [REVIEW_BLOCKS.reassignTo]: { type: 'users_select', selected_user: USERS.alice },
      },
      [REVIEW_BLOCKS.reason]: { [REVIEW_BLOCKS.reason]: { type: 'plain_text_input', value: 'she knows' } },
    });
    expect(refused.json()).toMatchObject({ response_action: 'errors' });
    expect((await t.store.reviews.getItem(aliceOwn.id))?.reviewer).toBe(FALLBACK);
    await submit(FALLBACK, REVIEW_REASSIGN_CALLBACK, carlOps.id, {
      [REVIEW_BLOCKS.reassignTo]: {
        [REVIEW_BLOCKS.reassignTo]: { type: 'users_select', selected_user: USERS.approver },
      },
      [REVIEW_BLOCKS.reason]: {
        [REVIEW_BLOCKS.reason]: { type: 'plain_text_input', value: 'carl moved to the platform team' },
      },
    });
    const moved = await until('the reassignment', async () => {
      const i = await t.store.reviews.getItem(carlOps.id);
      return i?.reviewer === USERS.approver ? i : undefined;
    });
    expect(moved.reassignments).toMatchObject([
      { from: FALLBACK, to: USERS.approver, by: FALLBACK, reason: 'carl moved to the platform team' },
    ]);
    await fake.waitForCall('chat.postMessage', (c) => c.body.channel === `D${USERS.approver}`);

    // The deadline passes: bob's ops group (alice) and carl's item (amir) escalate to the fallback.
    clock.advance(15 * DAY_MS);
    await reviewTick(t.deps);
    for (const id of [bobOps.id, carlOps.id])
      expect(await t.store.reviews.getItem(id)).toMatchObject({
        reviewer: FALLBACK,
        reviewerSource: 'escalated',
      });

    // The fallback decides the escalated items: keeps alice's and carl's, and revokes bob's ops group, which
    // goes through an approval again (amir approves).
    await click(FALLBACK, REVIEW_ACTIONS.keep, aliceOwn.id);
    await click(FALLBACK, REVIEW_ACTIONS.keep, carlOps.id);
    await click(FALLBACK, REVIEW_ACTIONS.revoke, bobOps.id);
    const approval2 = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body.blocks).includes('ops'),
    );
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: requestIdFrom(approval2) }),
      at(),
    );
    await until('the group revocation', async () => {
      const r = (await t.store.reviews.getItem(bobOps.id))?.revocation;
      return r?.status === 'done' ? r : undefined;
    });
    const groups = await moto.iam().send(new ListGroupsForUserCommand({ UserName: 'bob' }));
    expect((groups.Groups ?? []).map((g) => g.GroupName)).toEqual(['devs']);
    // What is left (the access keys, each in use) the fallback keeps, one click each.
    for (const i of await t.store.reviews.items(cid, { reviewer: FALLBACK, open: true })) {
      expect(i.evidence.unused).toBe(false);
      await click(FALLBACK, REVIEW_ACTIONS.keep, i.id);
    }
    await until('every decision', async () => {
      const open = await t.store.reviews.items(cid, { open: true });
      return open.length === 0 ? true : undefined;
    });

    // The next tick closes it: the report goes to the channel as CSV and JSON, and one Jira ticket links it.
    await reviewTick(t.deps);
    const closed = await t.store.reviews.getCampaign(cid);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'all-decided' });
    expect(closed?.report?.fileIds).toHaveLength(2);
    expect(closed?.report?.jiraKey).toMatch(/^SEC-/);
    const csvId = closed?.report?.fileIds?.find((id) =>
      fake.uploads.get(id)?.toString().startsWith('campaign'),
    );
    const csv = fake.uploads.get(csvId ?? '')?.toString() ?? '';
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    const all = await t.store.reviews.items(cid);
    expect(rows).toHaveLength(all.length);
    expect(rows.every((r) => r.decision === 'keep' || r.decision === 'revoke')).toBe(true);
    expect(csv).toContain('On-call break-glass login');
    expect(csv).toContain('carl moved to the platform team');
    const decides = (await t.store.audit.recent({ limit: 200 })).filter((e) => e.action === 'review.decide');
    expect(decides).toHaveLength(all.length);
  }, 120_000);
});
