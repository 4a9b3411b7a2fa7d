import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import {
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
import { type FaultKind, type FaultProxy, type FaultRule, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';
import {
  awsDeleteConflicts,
  developer,
  difference,
  dmsTo,
  inventory,
  lastApprovalUpdate,
  ownedBy,
  REPEAT,
  record,
  TERMINAL,
  throughProxy,
  until,
} from './harness.js';

/**
 * IAM faults in the middle of an approved create, through the real bot (signed HTTP requests, Redis, the
 * fake Slack) and the real core against moto behind the fault proxy. Every scenario ends with an inventory
 * of IAM compared with what the request claims: a `done` request holds exactly the template, a `failed` one
 * left nothing, and nothing moto let through would have been refused by AWS (DeleteUser on a non-empty user).
 */

let moto: Moto;
let proxy: FaultProxy;
let fake: FakeSlack;
let t: TestBot | undefined;

// One moto, one bot for the whole file: a reset of moto (with AWS-managed policies) costs seconds, so each
// scenario creates its own user name instead, and checks only what belongs to that name.
beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  proxy = await startFaultProxy(moto.endpoint);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  seedSlack(fake);
  t = await startBot({ fake, moto: throughProxy(moto, proxy) });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop(), proxy?.close()]);
});
beforeEach(() => {
  fake.reset();
  proxy.clear();
});

interface Scenario {
  name: string;
  kind: FaultKind;
  rules: FaultRule[];
  /** What the request must end as: the fault survived by retries, or a clean failure with nothing left. */
  outcome: 'done' | 'failed';
}

const once = (kind: FaultKind, action: string, outcome: 'done' | 'failed' = 'done'): Scenario => ({
  name: `${kind} once at ${action}`,
  kind,
  rules: [{ kind, action }],
  outcome,
});

/**
 * `npm test` runs one scenario per behaviour (a fault the retries absorb, a fault past them that must roll
 * back cleanly, and each way a call can land without its answer); `npm run faults` runs the whole matrix
 * (FAULTS_FULL=1): every kind once at CreateUser, AddUserToGroup and CreateLoginProfile, and the rest.
 * The SDK gives up after its 3 attempts (the tests' maxAttempts); core decides what happens next.
 */
const PAST_RETRIES: Scenario[] = [
  {
    name: 'throttle past the SDK retries at AttachUserPolicy: rolled back',
    kind: 'throttle',
    rules: [{ kind: 'throttle', action: 'AttachUserPolicy', times: 3 }],
    outcome: 'failed',
  },
  {
    name: 'unmodifiable past core retries at CreateLoginProfile: rolled back',
    kind: 'unmodifiable',
    rules: [{ kind: 'unmodifiable', action: 'CreateLoginProfile', times: 5 }],
    outcome: 'failed',
  },
  {
    name: 'reset-after past the SDK retries at CreateLoginProfile: the profile that did land is rolled back too',
    kind: 'reset-after',
    rules: [{ kind: 'reset-after', action: 'CreateLoginProfile', times: 3 }],
    outcome: 'failed',
  },
];

const QUICK: Scenario[] = [
  once('throttle', 'AddUserToGroup'),
  once('http500', 'CreateLoginProfile'),
  once('http503', 'CreateUser'),
  once('reset-before', 'AddUserToGroup'),
  once('reset-after', 'CreateUser'),
  once('reset-after', 'CreateLoginProfile'),
  once('unmodifiable', 'PutUserPolicy'),
  ...PAST_RETRIES,
];

const FULL: Scenario[] = [
  ...(['throttle', 'http500', 'http503', 'reset-before', 'reset-after'] as const).flatMap((k) => [
    once(k, 'CreateUser'),
    once(k, 'AddUserToGroup'),
    once(k, 'AttachUserPolicy'),
    once(k, 'PutUserPolicy'),
    once(k, 'CreateLoginProfile'),
  ]),
  once('unmodifiable', 'AddUserToGroup'),
  once('unmodifiable', 'AttachUserPolicy'),
  once('unmodifiable', 'PutUserPolicy'),
  once('unmodifiable', 'CreateLoginProfile'),
  {
    name: 'unmodifiable at CreateUser (not retried): fails with nothing to roll back',
    kind: 'unmodifiable',
    rules: [{ kind: 'unmodifiable', action: 'CreateUser' }],
    outcome: 'failed',
  },
  ...PAST_RETRIES,
  {
    name: 'http503 past the SDK retries at PutUserPolicy, then a throttled rollback',
    kind: 'http503',
    rules: [
      { kind: 'http503', action: 'PutUserPolicy', times: 3 },
      { kind: 'throttle', action: 'DetachUserPolicy', times: 3 },
      { kind: 'throttle', action: 'DeleteUser', times: 2 },
    ],
    outcome: 'failed',
  },
  {
    name: 'reset-before past the SDK retries at AddUserToGroup: rolled back',
    kind: 'reset-before',
    rules: [{ kind: 'reset-before', action: 'AddUserToGroup', times: 3 }],
    outcome: 'failed',
  },
];

const SCENARIOS = process.env.FAULTS_FULL === '1' ? FULL : QUICK;

const RUNS = Array.from({ length: REPEAT }, () => SCENARIOS)
  .flat()
  .map((s, i) => ({ ...s, user: `alice${i}` }));

it.each(RUNS)('$name', async (s) => {
  const bot = t as TestBot;
  await submitCreate(bot, createValues({ username: s.user }));
  const msg = await fake.waitForCall('chat.postMessage', (c) => c.body.channel === 'C0APPROVALS');
  const id = requestIdFrom(msg);
  for (const r of s.rules) proxy.inject(r);
  await sendInteraction(bot.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));

  const final = await until('a terminal request', async () => {
    const r = await bot.store.getRequest(id);
    return r && TERMINAL.has(r.status) ? r : undefined;
  });
  await fake.waitFor(
    () => dmsTo(fake, USERS.requester).some((d) => d.includes(id) && !d.includes('waiting for approval')),
    10_000,
    'requester DM',
  );

  const held = ownedBy(s.user, await inventory(moto.iam()));
  const claimed = final.status === 'done' ? developer(s.user) : [];
  const orphans = [...difference(held, claimed), ...awsDeleteConflicts(proxy.applied)];
  const missing = difference(claimed, held);
  const toRequester = dmsTo(fake, USERS.requester).filter(
    (d) => d.includes(id) && !d.includes('waiting for approval'),
  );
  const passwords = dmsTo(fake, USERS.alice);
  const told =
    toRequester.length === 1 &&
    (final.status === 'done' ? passwords.length === 1 : passwords.length === 0) &&
    lastApprovalUpdate(fake).includes(final.status === 'done' ? s.user : 'failed');
  record({
    kind: s.kind,
    scenario: s.name,
    injected: proxy.injected.length,
    survived: told && orphans.length === 0 && missing.length === 0 && final.status === s.outcome ? 1 : 0,
    completed: final.status === 'done' ? 1 : 0,
    orphans: orphans.length,
    approvalsLost: missing.length > 0 ? 1 : 0,
    grantsLost: 0,
  });

  expect(proxy.injected.length).toBeGreaterThan(0);
  expect({ status: final.status, orphans, missing }).toEqual({ status: s.outcome, orphans: [], missing: [] });
  if (final.status === 'done') {
    expect(toRequester[0]).toContain(`is done: created \`${s.user}\``);
    expect(passwords).toHaveLength(1);
  } else {
    expect(toRequester[0]).toMatch(/failed: step ".+" failed .*(rolled back|nothing to roll back)/);
    expect(toRequester[0]).not.toMatch(/could NOT roll back/);
    expect(passwords).toEqual([]);
    expect(final.outcome).toBe(toRequester[0]?.split(' failed: ')[1]);
  }
  expect(told).toBe(true);
});
