import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewCampaign, ReviewItem } from '../../src/core/index.js';
import {
  REVIEW_ACTIONS,
  REVIEW_BLOCKS,
  REVIEW_COMMENT_CALLBACK,
  REVIEW_REASSIGN_CALLBACK,
} from '../../src/views/review.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction, sendSigned, viewSubmission } from '../helpers/slack-requests.js';

/**
 * The review buttons through the real receiver (signed requests, Bolt, the Redis store): the payload names
 * only an item id, and who may act on it comes from the store.
 */
let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

const CID = 'rv-00c0ffee';
const REVIEWER = USERS.approver;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  t = await startBot({ fake, moto });
  const now = new Date().toISOString();
  const campaign: ReviewCampaign = {
    id: CID,
    name: 'Handler review',
    status: 'open',
    createdAt: now,
    createdBy: 'cli:test',
    dueAt: new Date(Date.now() + 14 * 86_400_000).toISOString(),
    accounts: [{ id: '123456789012', name: 'home', ok: true }],
    thresholds: { console_days: 90, access_key_days: 180 },
    itemCount: 2,
  };
  const item = (seq: number): ReviewItem => ({
    id: `${CID}.${seq}`,
    campaignId: CID,
    seq,
    account: '123456789012',
    accountName: 'home',
    principal: { kind: 'iam-user', name: 'alice', slackUserId: USERS.alice },
    entitlement: { kind: 'group', name: `Group${seq}` },
    evidence: { lastUsed: now, lastUsedOf: 'any credential', unused: false },
    reviewer: REVIEWER,
    reviewerSource: 'manager',
    ownerSlackId: USERS.alice,
  });
  await t.store.reviews.createCampaign(campaign, [item(1), item(2)]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

describe('review buttons through the receiver', () => {
  it('refuses a crafted Keep by a non-reviewer carrying someone else’s item id', async () => {
    const res = await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.stranger,
        actionId: REVIEW_ACTIONS.keep,
        value: `${CID}.1`,
        channel: `D${REVIEWER}`,
        messageTs: '5.5',
      }),
    );
    expect(res.status).toBe(200);
    const reply = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.stranger);
    expect(String(reply.body.text)).toMatch(/not the reviewer/);
    expect((await t.store.reviews.getItem(`${CID}.1`))?.decision).toBeUndefined();
    expect(fake.callsTo('chat.update')).toEqual([]);
    const events = (await t.store.audit.recent?.({ limit: 20 })) ?? [];
    expect(events.filter((e) => e.action === 'review.decide')).toEqual([]);
  });

  it('records the reviewer’s Keep once and redraws their DM page', async () => {
    const click = () =>
      sendInteraction(
        t.url,
        buttonClick({
          user: REVIEWER,
          actionId: REVIEW_ACTIONS.keep,
          value: `${CID}.2`,
          channel: `D${REVIEWER}`,
          messageTs: '6.6',
        }),
      );
    await Promise.all([click(), click()]);
    // Both clicks redraw the page: one with the outcome, the other with who decided it already.
    await fake.waitFor(
      (cs) => cs.filter((c) => c.method === 'chat.update' && c.body.ts === '6.6').length >= 2,
      10_000,
      'two redraws',
    );
    const drawn = fake.callsTo('chat.update').map((c) => JSON.stringify(c.body.blocks));
    expect(drawn.some((d) => d.includes('You kept'))).toBe(true);
    expect(drawn.some((d) => d.includes('Already decided'))).toBe(true);
    expect((await t.store.reviews.getItem(`${CID}.2`))?.decision).toMatchObject({
      outcome: 'keep',
      by: REVIEWER,
    });
    const events = (await t.store.audit.recent?.({ limit: 20 })) ?? [];
    expect(events.filter((e) => e.action === 'review.decide')).toHaveLength(1);
  });

  it('Not my report opens the modal; handing the item to its owner is refused inline', async () => {
    await sendInteraction(
      t.url,
      buttonClick({
        user: REVIEWER,
        actionId: REVIEW_ACTIONS.notMine,
        value: `${CID}.1`,
        channel: `D${REVIEWER}`,
      }),
    );
    const opened = await fake.waitForCall('views.open');
    expect((opened.body.view as { private_metadata: string }).private_metadata).toBe(`${CID}.1`);
    const res = await sendInteraction(
      t.url,
      viewSubmission({
        user: REVIEWER,
        callbackId: REVIEW_REASSIGN_CALLBACK,
        privateMetadata: `${CID}.1`,
        values: {
          [REVIEW_BLOCKS.reassignTo]: {
            [REVIEW_BLOCKS.reassignTo]: { type: 'users_select', selected_user: USERS.alice },
          },
          [REVIEW_BLOCKS.reason]: {
            [REVIEW_BLOCKS.reason]: { type: 'plain_text_input', value: 'she knows' },
          },
        },
      }),
    );
    expect(res.json()).toMatchObject({
      response_action: 'errors',
      errors: { [REVIEW_BLOCKS.reassignTo]: expect.stringMatching(/owns this access/) },
    });
    expect((await t.store.reviews.getItem(`${CID}.1`))?.reviewer).toBe(REVIEWER);
  });

  it('App Home lists the reviewer’s open items; Show my items DMs their page', async () => {
    const event = {
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      event: { type: 'app_home_opened', user: REVIEWER, channel: 'D0AMIR', tab: 'home', event_ts: '1.1' },
      event_id: 'Ev0REVIEWHOME',
      event_time: Math.floor(Date.now() / 1000),
    };
    expect((await sendSigned(t.url, JSON.stringify(event), 'application/json')).status).toBe(200);
    const pub = await fake.waitForCall('views.publish', (c) => c.body.user_id === REVIEWER);
    const home = JSON.stringify(pub.body.view);
    expect(home).toMatch(/\*1\* item\(s\) to review in \*Handler review\*/);
    expect(home).toContain(REVIEW_ACTIONS.homeShow);
    await sendInteraction(
      t.url,
      buttonClick({
        user: REVIEWER,
        actionId: REVIEW_ACTIONS.homeShow,
        value: CID,
        view: { id: 'V0HOME', type: 'home' },
      }),
    );
    const dm = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === `D${REVIEWER}` && JSON.stringify(c.body.blocks).includes(`${CID}.1`),
    );
    expect(String(dm.body.text)).toMatch(/1 of 2 item\(s\) left/);
  });

  it('App Home shows the items with their buttons; a Keep there is recorded once and Home redrawn without it', async () => {
    const HID = 'rv-00home01';
    const now = new Date().toISOString();
    const base: ReviewItem = {
      id: `${HID}.1`,
      campaignId: HID,
      seq: 1,
      account: '123456789012',
      accountName: 'home',
      principal: { kind: 'iam-user', name: 'carol' },
      entitlement: { kind: 'group', name: 'HomeGroupUsed' },
      evidence: { lastUsed: now, lastUsedOf: 'any credential', unused: false },
      reviewer: REVIEWER,
      reviewerSource: 'manager',
      ownerSlackId: USERS.alice,
    };
    const unused: ReviewItem = {
      ...base,
      id: `${HID}.2`,
      seq: 2,
      entitlement: { kind: 'console', name: 'console' },
      evidence: { neverUsed: true, lastUsedOf: 'console sign-in', unused: true },
    };
    const unusedKey: ReviewItem = {
      ...unused,
      id: `${HID}.3`,
      seq: 3,
      entitlement: { kind: 'access-key', name: 'access key 1', keySlot: 1, keyCreatedAt: now },
      evidence: { neverUsed: true, lastUsedOf: 'access key 1', unused: true },
    };
    await t.store.reviews.createCampaign(
      {
        id: HID,
        name: 'Home review',
        status: 'open',
        createdAt: now,
        createdBy: 'cli:test',
        dueAt: new Date(Date.now() + 14 * 86_400_000).toISOString(),
        accounts: [{ id: '123456789012', name: 'home', ok: true }],
        thresholds: { console_days: 90, access_key_days: 180 },
        itemCount: 3,
      },
      [base, unused, unusedKey],
    );
    const publishes = () =>
      fake.callsTo('views.publish').filter((c) => JSON.stringify(c.body.view).includes(HID));
    const event = {
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      event: { type: 'app_home_opened', user: REVIEWER, channel: 'D0AMIR', tab: 'home', event_ts: '2.2' },
      event_id: 'Ev0REVIEWHOME2',
      event_time: Math.floor(Date.now() / 1000),
    };
    expect((await sendSigned(t.url, JSON.stringify(event), 'application/json')).status).toBe(200);
    await fake.waitFor((cs) => cs.length > 0 && publishes().length >= 1, 10_000, 'home with items');
    const first = JSON.stringify(publishes()[0]?.body.view);
    for (const id of [`${HID}.1`, `${HID}.2`]) expect(first).toContain(`"value":"${id}"`);
    expect(first).toContain(REVIEW_ACTIONS.keep);
    expect(first).toContain('HomeGroupUsed');
    expect(first).toContain('Unused beyond 90 days');

    const homeClick = (user: string, actionId: string, value: string) =>
      sendInteraction(t.url, buttonClick({ user, actionId, value, view: { id: 'V0HOME', type: 'home' } }));
    // A crafted click by someone else on the item's id, from their Home: refused, nothing recorded.
    await homeClick(USERS.stranger, REVIEW_ACTIONS.keep, `${HID}.1`);
    const refused = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === USERS.stranger && /not the reviewer/.test(String(c.body.text)),
    );
    expect(String(refused.body.text)).toContain(`<@${REVIEWER}>`);
    expect((await t.store.reviews.getItem(`${HID}.1`))?.decision).toBeUndefined();

    // The reviewer's double click from Home: one decision, Home re-published without the item.
    const before = publishes().length;
    await Promise.all([
      homeClick(REVIEWER, REVIEW_ACTIONS.keep, `${HID}.1`),
      homeClick(REVIEWER, REVIEW_ACTIONS.keep, `${HID}.1`),
    ]);
    await fake.waitFor(() => publishes().length >= before + 2, 10_000, 'home re-published');
    const after = JSON.stringify(publishes().at(-1)?.body.view);
    expect(after).not.toContain(`"value":"${HID}.1"`);
    expect(after).toContain(`"value":"${HID}.2"`);
    expect(publishes().every((c) => c.body.user_id === REVIEWER)).toBe(true);
    expect((await t.store.reviews.getItem(`${HID}.1`))?.decision).toMatchObject({
      outcome: 'keep',
      by: REVIEWER,
    });
    const events = (await t.store.audit.recent?.({ limit: 50 })) ?? [];
    expect(events.filter((e) => e.action === 'review.decide' && e.requestId === `${HID}.1`)).toHaveLength(1);
    // The losing click is told who decided; the winning one needs no message (Home shows it).
    await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === REVIEWER && /Already decided: You kept/.test(String(c.body.text)),
    );
    expect(fake.callsTo('chat.update').filter((c) => JSON.stringify(c.body).includes(HID))).toEqual([]);

    // Keep on unused access from Home still asks for the comment first.
    await homeClick(REVIEWER, REVIEW_ACTIONS.keep, `${HID}.2`);
    await fake.waitForCall(
      'views.open',
      (c) => (c.body.view as { private_metadata?: string }).private_metadata === `home:${HID}.2`,
    );
    expect((await t.store.reviews.getItem(`${HID}.2`))?.decision).toBeUndefined();

    // Kept with a comment through that modal: recorded, and Home re-published without the item.
    await homeClick(REVIEWER, REVIEW_ACTIONS.keep, `${HID}.3`);
    await fake.waitForCall(
      'views.open',
      (c) => (c.body.view as { private_metadata?: string }).private_metadata === `home:${HID}.3`,
    );
    const beforeComment = publishes().length;
    const submitted = await sendInteraction(
      t.url,
      viewSubmission({
        user: REVIEWER,
        callbackId: REVIEW_COMMENT_CALLBACK,
        privateMetadata: `home:${HID}.3`,
        values: {
          [REVIEW_BLOCKS.comment]: {
            [REVIEW_BLOCKS.comment]: { type: 'plain_text_input', value: 'Deploy key, rotated yearly' },
          },
        },
      }),
    );
    expect(submitted.status).toBe(200);
    await fake.waitFor(() => publishes().length > beforeComment, 10_000, 'home after the comment');
    expect(JSON.stringify(publishes().at(-1)?.body.view)).not.toContain(`"value":"${HID}.3"`);
    expect((await t.store.reviews.getItem(`${HID}.3`))?.decision).toMatchObject({
      outcome: 'keep',
      comment: 'Deploy key, rotated yearly',
    });

    // Revoke from Home: recorded, Home re-published (the campaign gone from it), and the filing told by DM.
    const homes = () => fake.callsTo('views.publish').filter((c) => c.body.user_id === REVIEWER).length;
    const beforeRevoke = homes();
    await homeClick(REVIEWER, REVIEW_ACTIONS.revoke, `${HID}.2`);
    await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === REVIEWER && /You revoked/.test(String(c.body.text)),
    );
    await fake.waitFor(() => homes() > beforeRevoke, 10_000, 'home re-published after revoke');
    const last = fake
      .callsTo('views.publish')
      .filter((c) => c.body.user_id === REVIEWER)
      .at(-1);
    expect(JSON.stringify(last?.body.view)).not.toContain(HID);
    expect((await t.store.reviews.getItem(`${HID}.2`))?.decision).toMatchObject({ outcome: 'revoke' });
  });
});
