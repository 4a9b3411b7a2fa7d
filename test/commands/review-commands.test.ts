import { CreateLoginProfileCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { botConfig, seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { sendCommand } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  await moto
    .iam()
    .send(new CreateUserCommand({ UserName: 'dormant', Tags: [{ Key: 'Email', Value: 'd@example.com' }] }));
  await moto
    .iam()
    .send(new CreateLoginProfileCommand({ UserName: 'dormant', Password: 'Initial-Passw0rd!' }));
  const config = botConfig(fake, { accounts: [{ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' }] });
  t = await startBot({ fake, moto, config, clock: fixedClock(new Date(Date.now() + 120 * DAY_MS)) });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

let n = 0;
/** Sends the command; returns the ack's own body text (if any) and every response_url reply, in order. */
async function run(text: string, user: string, replies: number) {
  const tag = `d${++n}`;
  const started = Date.now();
  // Signed at the bot's clock: freshness is judged on the injected clock, which this file moves.
  const res = await sendCommand(
    t.url,
    { text, user_id: user, response_url: fake.responseUrl(tag) },
    { timestamp: Math.floor(t.deps.clock.now().getTime() / 1000) },
  );
  const ackMs = Date.now() - started;
  expect(res.status).toBe(200);
  if (res.text) return { ack: String(res.json().text), replies: [] as string[], ackMs };
  await fake.waitFor((cs) => cs.filter((c) => c.path === `/response/${tag}`).length >= replies, 15_000);
  const out = fake.calls.filter((c) => c.path === `/response/${tag}`).map((c) => String(c.body.text));
  return { ack: '', replies: out, ackMs };
}

describe('/aws-user inactive and report', () => {
  it('acks at once, then posts the findings when the scan is done', async () => {
    const r = await run('inactive', USERS.approver, 2);
    expect(r.ackMs).toBeLessThan(3000);
    expect(r.replies[0]).toMatch(/Scanning 1 account/);
    expect(r.replies[1]).toMatch(/1 finding\(s\)\*: 1 HIGH/);
    expect(r.replies[1]).toContain('dormant');
    expect(r.replies[1]).toContain('CONSOLE_NEVER_USED');
    expect(r.replies[1]).toMatch(/report \d+ y \d+ d old/);
  });

  it('narrows to one account by name, and names an unknown one', async () => {
    expect((await run('inactive home', USERS.approver, 2)).replies[1]).toContain('dormant');
    const bad = await run('inactive nowhere', USERS.approver, 2);
    expect(bad.replies[1]).toMatch(/unknown account "nowhere"/);
  });

  it('answers a report type, and refuses requesters and bad types', async () => {
    const sec = await run('report security', USERS.admin, 2);
    expect(sec.replies[1]).toMatch(/CONSOLE_WITHOUT_MFA/);
    expect((await run('report nonsense', USERS.admin, 0)).ack).toMatch(
      /needs one report type: access, compliance, security, cost/,
    );
    expect((await run('inactive', USERS.requester, 1)).replies[0]).toMatch(/Only approvers and admins/);
  });
});
