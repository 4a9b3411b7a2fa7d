import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  GetLoginProfileCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { runDigest } from '../../src/flows/digest.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { REMEDIATE_ACTIONS } from '../../src/views/digest.js';
import { botConfig, requestIdFrom, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeJira, startFakeJira } from '../helpers/fake-jira.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import {
  buttonClick,
  SIGNING_SECRET,
  sendCommand,
  sendInteraction,
  sendSigned,
} from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let jira: FakeJira;
let t: TestBot;

/** Signed at the bot's clock (200 days ahead): freshness is judged on the injected clock. */
function sendAtBotTime(url: string, payload: Record<string, unknown>) {
  return sendInteraction(url, payload, { timestamp: Math.floor(t.deps.clock.now().getTime() / 1000) });
}
const JIRA = { email: 'bot@example.com', apiToken: 'jira-token-test' };

beforeAll(async () => {
  [moto, fake, jira] = await Promise.all([startMoto(), startFakeSlack(), startFakeJira(JIRA)]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop(), jira?.stop()]);
});
beforeEach(async () => {
  await t?.stop();
  await moto.reset();
  fake.reset();
  seedSlack(fake);
  const base = botConfig(fake);
  const config = {
    ...base,
    accounts: [{ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' }],
    slack: { ...base.slack, digest_channel: 'C0DIGEST' },
    jira: { base_url: jira.url, project_key: 'SEC', issue_type: 'Task', email: JIRA.email },
    env: parseEnv({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      JIRA_API_TOKEN: JIRA.apiToken,
    }),
  };
  // The credential report's users were all created "now"; review them 200 days later.
  t = await startBot({ fake, moto, config, clock: fixedClock(new Date(Date.now() + 200 * DAY_MS)) });
});

/** A user who never signed in and never used their key: a HIGH console finding and a MEDIUM key finding. */
async function staleUser(name: string) {
  const iam = moto.iam();
  await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: 'Xx1!xxxxxxxxxxxx' }));
  await iam.send(new CreateAccessKeyCommand({ UserName: name }));
}

async function hasConsole(name: string) {
  try {
    await moto.iam().send(new GetLoginProfileCommand({ UserName: name }));
    return true;
  } catch {
    return false;
  }
}

/** The digest's button for `action` on `user`'s finding. */
async function digestButton(actionId: string) {
  const digest = await fake.waitForCall(
    'chat.postMessage',
    (c) => c.body.channel === 'C0DIGEST' && !c.body.thread_ts,
  );
  const blocks = digest.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
  const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} button in the digest`);
  return { button, ts: String(fake.callsTo('chat.postMessage').indexOf(digest) + 1 || '1') };
}

describe('remediation from the digest', () => {
  it('a click only files an approval request; once approved, IAM changes, the thread is told and the ticket closes', async () => {
    await staleUser('stale');
    await runDigest(t.deps);
    expect(jira.issues.length).toBeGreaterThan(0);
    const { button } = await digestButton(REMEDIATE_ACTIONS.disableConsole);

    await sendAtBotTime(
      t.url,
      buttonClick({
        user: USERS.approver,
        actionId: REMEDIATE_ACTIONS.disableConsole,
        value: button.value,
        channel: 'C0DIGEST',
      }),
    );
    const approval = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    expect(JSON.stringify(approval.body.blocks)).toContain('Disable console access');
    // Nothing has changed yet: the click is only a request.
    expect(await hasConsole('stale')).toBe(true);
    expect(t.iamCommands).not.toContain('DeleteLoginProfile');

    const id = requestIdFrom(approval);
    // The clicker cannot approve their own remediation.
    await sendAtBotTime(t.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    await new Promise((r) => setTimeout(r, 300));
    expect(await hasConsole('stale')).toBe(true);

    await sendAtBotTime(t.url, buttonClick({ user: USERS.approver2, actionId: APPROVE_ACTION, value: id }));
    await fake.waitFor(() =>
      fake
        .callsTo('chat.postMessage')
        .some(
          (c) => c.body.channel === 'C0DIGEST' && String(c.body.text).includes('disabled console access'),
        ),
    );
    expect(await hasConsole('stale')).toBe(false);
    const thread = fake
      .callsTo('chat.postMessage')
      .filter((c) => c.body.channel === 'C0DIGEST' && c.body.thread_ts);
    expect(thread.length).toBeGreaterThanOrEqual(2);
    const transition = jira.requests.find((r) => r.method === 'POST' && r.path.endsWith('/transitions'));
    expect(transition?.body).toMatchObject({ transition: { id: '31' } });
    const closed = jira.issues.filter((i) => i.statusCategory === 'done');
    expect(closed).toHaveLength(1);
    expect(JSON.stringify(closed[0]?.comments)).toContain('Remediated from the aws-user digest');
  });

  it('refuses a click from someone who is not an approver, and files nothing', async () => {
    await staleUser('stale2');
    await runDigest(t.deps);
    const { button } = await digestButton(REMEDIATE_ACTIONS.offboard);
    await sendAtBotTime(
      t.url,
      buttonClick({
        user: USERS.stranger,
        actionId: REMEDIATE_ACTIONS.offboard,
        value: button.value,
        channel: 'C0DIGEST',
      }),
    );
    await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.stranger);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0APPROVALS')).toEqual([]);
    expect(await t.store.listPending()).toEqual([]);
  });
});

describe('/aws-user inactive keeps the finding history', () => {
  it('a signed /aws-user inactive after a user was deleted says what resolved and why, and closes its ticket', async () => {
    await staleUser('quitter');
    await runDigest(t.deps);
    const ticket = jira.issues.find((i) => i.fields.summary.includes('quitter'));
    expect(ticket?.statusCategory).toBe('new');
    await moto.iam().send(new DeleteUserCommand({ UserName: 'quitter' }));

    const url = fake.responseUrl('inactive');
    const at = Math.floor(t.deps.clock.now().getTime() / 1000);
    const res = await sendCommand(
      t.url,
      { text: 'inactive', user_id: USERS.approver, response_url: url },
      { timestamp: at },
    );
    expect(res.status).toBe(200);
    const answer = await fake.waitForCall(
      'response_url',
      (c) => c.path?.endsWith('/inactive') === true && String(c.body.text).includes('finding(s)'),
    );
    const text = String(answer.body.text);
    expect(text).toContain(':new: 0 new · :white_check_mark: 2 resolved since the previous scan');
    expect(text).toContain(
      '*quitter* in home `CONSOLE_NEVER_USED`: IAM user quitter no longer exists (deleted)',
    );
    await expect.poll(() => ticket?.statusCategory).toBe('done');
    expect(JSON.stringify(ticket?.comments)).toContain('IAM user quitter no longer exists (deleted)');
    const [recorded] = await t.deps.store.history.runs({ limit: 1, source: 'slack' });
    expect(recorded).toMatchObject({ source: 'slack', resolved: 2, opened: 0 });
  });
});

describe('App Home shows the findings trend to approvers and admins', () => {
  async function openHome(user: string, n: number) {
    const at = Math.floor(t.deps.clock.now().getTime() / 1000);
    const event = {
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      event: { type: 'app_home_opened', user, channel: `D0${n}`, tab: 'home', event_ts: `${n}.1` },
      event_id: `Ev0HOME${n}`,
      event_time: at,
    };
    fake.reset();
    seedSlack(fake);
    const res = await sendSigned(t.url, JSON.stringify(event), 'application/json', { timestamp: at });
    expect(res.status).toBe(200);
    const pub = await fake.waitForCall('views.publish', (c) => c.body.user_id === user);
    return (pub.body.view as { blocks: { type: string; slack_file?: { id: string }; alt_text?: string }[] })
      .blocks;
  }

  it('from the recorded runs: the chart uploaded once and shown by file id, with the text trend', async () => {
    await staleUser('idler');
    await runDigest(t.deps);
    await moto.iam().send(new DeleteLoginProfileCommand({ UserName: 'idler' }));
    await t.deps.core.scan({ history: { store: t.deps.store.history, source: 'cli' } });

    const blocks = await openHome(USERS.approver, 1);
    const text = JSON.stringify(blocks);
    expect(text).toContain('Inactive-user findings');
    expect(text).toMatch(/\*HIGH\* [▁-█]{2} {2}now 0 \(was 1\)/);
    expect(text).toMatch(/\*MEDIUM\* [▁-█]{2} {2}now 1 \(was 1\)/);
    const image = blocks.find((b) => b.type === 'image');
    const upload = fake.callsTo('files.completeUploadExternal');
    expect(upload).toHaveLength(1);
    expect(upload[0]?.body.channel_id).toBeUndefined(); // private to the bot: shared with no channel
    const fileId = ((upload[0]?.body.files ?? []) as { id: string }[])[0]?.id;
    expect(image?.slack_file).toEqual({ id: fileId });
    expect(image?.alt_text).toContain('Latest run');
    const png = fake.uploads.get(fileId ?? '') as Buffer;
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');

    // Opened again with no new run: the same file, no new upload.
    const again = await openHome(USERS.admin, 2);
    expect(again.find((b) => b.type === 'image')?.slack_file).toEqual({ id: fileId });
    expect(fake.callsTo('files.completeUploadExternal')).toHaveLength(0);

    // A requester may not run the inactive-user review: no trend on their Home.
    const mine = JSON.stringify(await openHome(USERS.requester, 3));
    expect(mine).not.toContain('Inactive-user findings');
  });
});
