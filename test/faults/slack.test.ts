import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, type HttpFailure, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { approveCreate, dmOf, type FigureKind, REPEAT, record } from './harness.js';

/**
 * Slack failing while the bot executes an approved create: 429 with Retry-After and 5xx, on the password
 * DM (a secret: past its retries the password is reset, so nobody holds one the bot cannot vouch for) and
 * on the approval message's update. IAM must hold exactly what the outcome claims, and the outcome must
 * say what happened to the password.
 */

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
  t = await startBot({ fake, moto });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(() => {
  fake.reset();
  fake.off('chat.postMessage').off('chat.update');
});

interface Scenario {
  name: string;
  kind: FigureKind;
  method: string;
  failure: HttpFailure;
  /** The outcome line's words about the password (or the message). */
  says: RegExp;
}

const toOwner = (b: Record<string, unknown>) => b.channel === dmOf(USERS.alice);
const toApprovers = (b: Record<string, unknown>) => b.channel === 'C0APPROVALS';

const SCENARIOS: Scenario[] = [
  {
    name: '429 (Retry-After 1) once on the password DM: delivered on the retry',
    kind: 'slack-429',
    method: 'chat.postMessage',
    failure: { status: 429, retryAfter: 1, match: toOwner },
    says: /initial password sent to <@UALICE0001> by DM/,
  },
  {
    name: '429 past the secret DM retries: the password is reset, the outcome says it needs a reset',
    kind: 'slack-429',
    method: 'chat.postMessage',
    failure: { status: 429, retryAfter: 1, times: 3, match: toOwner },
    says: /could NOT be delivered .*rate-limiting.*NEEDS A PASSWORD RESET/,
  },
  {
    name: '503 past the secret DM retries: the password is reset, the outcome says it needs a reset',
    kind: 'slack-5xx',
    method: 'chat.postMessage',
    failure: { status: 503, times: 3, match: toOwner },
    says: /could NOT be delivered .*HTTP 503.*NEEDS A PASSWORD RESET/,
  },
  {
    name: '500 once on the approval message update: retried, the message shows the outcome',
    kind: 'slack-5xx',
    method: 'chat.update',
    failure: { status: 500, match: toApprovers },
    says: /initial password sent to <@UALICE0001> by DM/,
  },
];

const RUNS = Array.from({ length: REPEAT }, () => SCENARIOS)
  .flat()
  .map((s, i) => ({ ...s, user: `bob${i}` }));

it.each(RUNS)('$name', async (s) => {
  const run = await approveCreate({
    bot: t,
    fake,
    moto,
    user: s.user,
    arm: () => {
      fake.failHttp(s.method, s.failure);
    },
  });
  const injected = Math.min(
    s.failure.times ?? 1,
    fake.callsTo(s.method).filter((c) => s.failure.match?.(c.body) ?? true).length,
  );
  const told = s.says.test(run.toRequester[0] ?? '') && s.says.test(run.approval);
  const passwordHeld = /NEEDS A PASSWORD RESET/.test(run.final.outcome ?? '') ? 'nobody' : 'owner';
  record({
    kind: s.kind,
    scenario: s.name,
    injected,
    survived: told && run.orphans.length === 0 && run.missing.length === 0 ? 1 : 0,
    completed: run.final.status === 'done' ? 1 : 0,
    orphans: run.orphans.length,
    approvalsLost: run.missing.length > 0 || run.final.status !== 'done' ? 1 : 0,
    grantsLost: 0,
  });

  expect(injected).toBe(s.failure.times ?? 1);
  expect({ status: run.final.status, orphans: run.orphans, missing: run.missing }).toEqual({
    status: 'done',
    orphans: [],
    missing: [],
  });
  expect(run.toRequester).toHaveLength(1);
  expect(run.toRequester[0]).toMatch(s.says);
  expect(run.approval).toMatch(s.says);
  expect(run.final.outcome).toMatch(s.says);
  // Nothing secret in what the requester or the approvers see, whatever happened to the DM.
  expect(`${run.toRequester[0]} ${run.approval}`).not.toMatch(/password: /i);
  expect(passwordHeld).toBe(s.failure.times && s.failure.times > 1 ? 'nobody' : 'owner');
});
