import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditArgs } from '../../src/commands/audit.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { TEXT_MAX } from '../../src/views/limits.js';
import { auditWindow } from '../../src/views/messages.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { sendCommand } from '../helpers/slack-requests.js';

const NOW = new Date('2026-03-01T12:00:00Z');

function event(i: number, ageMs: number, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `e${i}`,
    ts: new Date(NOW.getTime() - ageMs).toISOString(),
    actor: 'U1',
    action: 'create-user',
    account: '123456789012',
    target: i % 10 === 0 ? 'alice' : `user${i}`,
    outcome: i % 4 === 0 ? 'failure' : 'success',
    requestId: `r${i}`,
    ...(i % 4 === 0 ? { error: `step "CreateLoginProfile" failed: ${'x'.repeat(300)}` } : {}),
    ...over,
  };
}

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
  t = await startBot({ fake, moto, clock: fixedClock(NOW) });
  // 1,500 events in the last 6 days (more than one scan page), 200 older than 7 days.
  const pipe = t.store.redis.pipeline();
  const all = [
    ...Array.from({ length: 200 }, (_, i) => event(10_000 + i, 8 * DAY_MS + i * 60_000)),
    ...Array.from({ length: 1_500 }, (_, i) => event(i, 6 * DAY_MS - i * 5 * 60_000)),
  ];
  for (const e of all) pipe.xadd(`${t.store.prefix}audit`, '*', 'event', JSON.stringify(e));
  await pipe.exec();
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

let n = 0;
async function run(text: string, user: string = USERS.approver): Promise<string> {
  const tag = `a${++n}`;
  // Signed at the bot's clock: freshness is judged on the injected clock, which this file moves.
  const res = await sendCommand(
    t.url,
    { text, user_id: user, response_url: fake.responseUrl(tag) },
    { timestamp: Math.floor(t.deps.clock.now().getTime() / 1000) },
  );
  expect(res.status).toBe(200);
  if (res.text) return String(res.json().text);
  const reply = await fake.waitForCall('response_url', (c) => c.path === `/response/${tag}`);
  return String(reply.body.text);
}

describe('/aws-user audit --since', () => {
  it('counts the range by outcome, lists the latest, names the export command, within Slack’s limit', async () => {
    const out = await run('audit --since 7d');
    const since = new Date(NOW.getTime() - 7 * DAY_MS).toISOString();
    expect(out).toContain(`*Audit events since ${since}*`);
    expect(out).toContain('1,500 events: 1,125 success, 375 failure');
    expect(out).toContain('*Latest 20*');
    expect(out).toContain('`user1499`'); // the newest first
    expect(out).toContain(`\`aws-user audit export --since ${since} --format csv\``);
    expect(out.length).toBeLessThanOrEqual(TEXT_MAX);
  });

  it('for one IAM user, in either order, and a date as well as a duration', async () => {
    const out = await run('audit --since 2026-02-20 alice');
    expect(out).toContain('*Audit events since 2026-02-20T00:00:00.000Z for `alice`*');
    // 150 in the last 6 days and 20 from 8 days ago; every other one of alice's failed.
    expect(out).toContain('170 events: 85 failure, 85 success');
    expect(await run('audit alice \u2014since 7d')).toContain('150 events: 75 failure, 75 success');
  });

  it('is for approvers only, and answers a bad --since with the usage', async () => {
    expect(await run('audit --since 7d', USERS.stranger)).toContain('Only approvers and admins');
    const bad = await run('audit --since yesterday');
    expect(bad).toContain('--since: "yesterday" is neither a date nor a duration');
    expect(bad).toContain('Usage: `/aws-user audit');
    expect(await run('audit --since')).toContain('--since needs a date or a duration');
  });
});

describe('auditArgs and auditWindow', () => {
  it('parses the arguments', () => {
    expect(auditArgs([])).toEqual({});
    expect(auditArgs(['bob'])).toEqual({ target: 'bob' });
    expect(auditArgs(['--since', '90d', 'bob'])).toEqual({ target: 'bob', since: '90d' });
    expect(auditArgs(['a', 'b'])).toMatch(/at most one/);
    expect(auditArgs(['bad/name'])).toMatch(/not an IAM user name/);
  });

  it('stays within Slack’s text limit whatever the events hold, and keeps the count and the command', () => {
    const latest = Array.from({ length: 20 }, (_, i) =>
      event(i, i, { error: '<!channel> '.repeat(400), target: 'x'.repeat(64) }),
    );
    const text = auditWindow({
      since: NOW.toISOString(),
      target: 'x'.repeat(64),
      total: 123_456,
      complete: false,
      outcomes: { success: 100_000, failure: 23_456 },
      latest,
    });
    expect(text.length).toBeLessThanOrEqual(TEXT_MAX);
    expect(text).toContain('At least 123,456 events: 100,000 success, 23,456 failure');
    expect(text).toContain('aws-user audit export --since');
    expect(text).not.toContain('<!channel>');
  });
});
