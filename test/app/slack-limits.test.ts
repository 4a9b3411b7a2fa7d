import { CreateUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { templateSchema } from '../../src/config.js';
import { TEMPLATE_TAG } from '../../src/core/grants.js';
import { CREATE_BLOCKS, CREATE_CALLBACK } from '../../src/views/create-modal.js';
import { accessValue, GRANT_BLOCKS, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
import { botConfig, requestIdFrom, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, type RecordedCall, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { sendCommand, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';
import { messageViolations, modalViolations, optionsResponseViolations } from '../views/slack-limits.js';

/**
 * Slack's limits through the real receiver: a deployment with more templates and accounts than a static select
 * holds, and a customer-managed policy whose ARN is longer than an option value may be. Every payload field but
 * the signed user is crafted.
 */
const LONG_ARN = `arn:aws:iam::123456789012:policy/${'team-path/'.repeat(50)}${'P'.repeat(128)}`;
const TEMPLATES = 150;
const ACCOUNTS = 120;
const accountId = (i: number) => (i === 0 ? MOTO_ACCOUNT : String(200_000_000_000 + i));

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});
async function start(accountCount: number): Promise<void> {
  await t?.stop();
  const base = botConfig(fake);
  const templates = { ...base.templates };
  for (let i = 0; i < TEMPLATES; i++) {
    templates[`team-${String(i).padStart(3, '0')}-${'x'.repeat(90)}`] = templateSchema.parse({
      approvals_required: 1 + (i % 3),
    });
  }
  templates.platform = templateSchema.parse({ grantable: { managed_policies: [LONG_ARN] } });
  const accounts = Array.from({ length: accountCount }, (_, i) => ({
    id: accountId(i),
    name: `${i === 0 ? 'home' : `workload-${String(i).padStart(3, '0')}`}-${'n'.repeat(80)}`,
    region: 'us-east-1',
    ...(i === 0 ? {} : { role_arn: `arn:aws:iam::${accountId(i)}:role/aws-user-bot` }),
  }));
  t = await startBot({ fake, moto, config: { ...base, templates, accounts } });
}

beforeEach(async () => {
  await moto.reset();
  fake.reset();
  seedSlack(fake);
  await start(ACCOUNTS);
});

/** A block_suggestion payload, as Slack sends it when someone types into an external select. */
function suggestion(a: { actionId: string; blockId: string; value: string; callbackId: string }) {
  return {
    type: 'block_suggestion',
    user: { id: USERS.requester, username: 'rita', team_id: 'T0TEAM' },
    container: { type: 'view', view_id: 'V0VIEW' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    action_id: a.actionId,
    block_id: a.blockId,
    value: a.value,
    team: { id: 'T0TEAM', domain: 'test' },
    view: { id: 'V0VIEW', type: 'modal', callback_id: a.callbackId, blocks: [], state: { values: {} } },
  };
}

interface OpenedView {
  callback_id?: string;
  title?: { text: string };
  blocks: { block_id?: string; element?: { type: string } }[];
}

function viewOf(call: RecordedCall): OpenedView {
  const v = call.body.view;
  return (typeof v === 'string' ? JSON.parse(v) : v) as OpenedView;
}

describe("Slack's limits through the receiver", () => {
  it('opens the create modal for 150 templates and 120 accounts within the limits, with filtering selects', async () => {
    await sendCommand(t.url, { text: 'create', user_id: USERS.requester, response_url: fake.responseUrl() });
    const open = await fake.waitForCall('views.open');
    const view = viewOf(open);
    expect(modalViolations(view)).toEqual([]);
    const select = (id: string) => view.blocks.find((b) => b.block_id === id)?.element?.type;
    expect(select(CREATE_BLOCKS.template)).toBe('external_select');
    expect(select(CREATE_BLOCKS.account)).toBe('external_select');

    await sendCommand(t.url, { text: 'request', user_id: USERS.requester, response_url: fake.responseUrl() });
    const grant = viewOf(
      await fake.waitForCall('views.open', (c) => viewOf(c).callback_id === GRANT_REQUEST_CALLBACK),
    );
    expect(modalViolations(grant)).toEqual([]);
    expect(JSON.stringify(grant)).toContain(accessValue('policy', LONG_ARN));
    expect(JSON.stringify(grant)).not.toContain(LONG_ARN);
  });

  it('answers an options request with the matching configured accounts and templates, and nothing else', async () => {
    const ask = async (actionId: string, value: string) => {
      const res = await sendInteraction(
        t.url,
        suggestion({ actionId, blockId: actionId, value, callbackId: CREATE_CALLBACK }),
      );
      expect(res.status).toBe(200);
      const body = res.json() as { options: { text: { text: string }; value: string }[] };
      expect(optionsResponseViolations(body)).toEqual([]);
      return body.options;
    };
    const accounts = await ask(CREATE_BLOCKS.account, 'WORKLOAD-01');
    expect(accounts.map((o) => o.value)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map(accountId));
    expect(accounts[0]?.text.text).toMatch(/^workload-010-n+… \(200000000010\)$/);
    expect((await ask(CREATE_BLOCKS.account, '')).length).toBe(100);
    expect(await ask(CREATE_BLOCKS.account, '999999999999')).toEqual([]);
    // A crafted query is only ever a filter over the config.
    expect(await ask(CREATE_BLOCKS.account, '<!channel>')).toEqual([]);
    const templates = await ask(CREATE_BLOCKS.template, 'team-149');
    expect(templates.map((o) => o.value)).toEqual([`team-149-${'x'.repeat(90)}`]);
    expect(templates[0]?.text.text).toMatch(/^team-149-x+… \(3 approvals\)$/);
    const access = await sendInteraction(
      t.url,
      suggestion({
        actionId: GRANT_BLOCKS.access,
        blockId: GRANT_BLOCKS.access,
        value: 'pppp',
        callbackId: GRANT_REQUEST_CALLBACK,
      }),
    );
    expect(access.json()).toEqual({
      options: [
        {
          text: { type: 'plain_text', text: `policy ${'P'.repeat(67)}…`, emoji: true },
          value: accessValue('policy', LONG_ARN),
        },
      ],
    });
  });

  it('files a grant request for a long-ARN policy from its short id, and refuses a raw ARN or an unknown id', async () => {
    // Finding the caller's own IAM user reads every account within a 2 s budget: one account keeps this quick.
    await start(1);
    await moto.iam().send(
      new CreateUserCommand({
        UserName: 'rita',
        Tags: [
          { Key: 'SlackUserId', Value: USERS.requester },
          { Key: TEMPLATE_TAG, Value: 'platform' },
        ],
      }),
    );
    const submit = (access: string) => {
      const sel = (value: string) => ({ type: 'external_select', selected_option: { value } });
      return sendInteraction(
        t.url,
        viewSubmission({
          user: USERS.requester,
          callbackId: GRANT_REQUEST_CALLBACK,
          values: {
            [GRANT_BLOCKS.account]: { [GRANT_BLOCKS.account]: sel(MOTO_ACCOUNT) },
            [GRANT_BLOCKS.access]: { [GRANT_BLOCKS.access]: sel(access) },
            [GRANT_BLOCKS.duration]: { [GRANT_BLOCKS.duration]: sel('60') },
            [GRANT_BLOCKS.reason]: {
              [GRANT_BLOCKS.reason]: { type: 'plain_text_input', value: 'rotate the platform secrets' },
            },
          },
        }),
      );
    };
    for (const crafted of [`policy:${LONG_ARN}`, 'policy#00000000000000000000', 'group:Administrators']) {
      const refused = await submit(crafted);
      expect(refused.json()).toMatchObject({
        response_action: 'errors',
        errors: { [GRANT_BLOCKS.access]: expect.stringMatching(/not offered/) },
      });
    }
    expect(fake.callsTo('chat.postMessage')).toEqual([]);

    const res = await submit(accessValue('policy', LONG_ARN));
    expect(res.text).toBe('');
    const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
    const blocks = typeof msg.body.blocks === 'string' ? JSON.parse(msg.body.blocks) : msg.body.blocks;
    expect(messageViolations({ text: String(msg.body.text), blocks })).toEqual([]);
    const request = await t.store.getRequest(requestIdFrom({ ...msg, body: { ...msg.body, blocks } }));
    expect(request?.grant).toMatchObject({ kind: 'policy', target: LONG_ARN, durationMinutes: 60 });
  });
});
