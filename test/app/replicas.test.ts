import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateGroupCommand, CreateUserCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEMPLATE_TAG } from '../../src/core/index.js';
import type { RedisStore } from '../../src/store/redis.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { CREATE_CALLBACK } from '../../src/views/create-modal.js';
import { GRANT_BLOCKS, GRANT_REQUEST_CALLBACK } from '../../src/views/grant-modal.js';
import { createValues, requestIdFrom, seedSlack, USERS } from '../helpers/bot.js';
import { type BotProcess, killAll, logLines, startBotProcess } from '../helpers/bot-process.js';
import { type FakeSlack, type RecordedCall, startFakeSlack } from '../helpers/fake-slack.js';
import { skewedClockEnv } from '../helpers/faketime.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { waitFor } from '../helpers/ports.js';
import { buttonClick, SIGNING_SECRET, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';
import { redisStore } from '../helpers/store.js';

/**
 * Issue 14, for real: two built bots (`npm start`'s command) in HTTP mode on one Redis, one moto and one fake
 * Slack, as two replicas of one deployment on two hosts whose clocks differ: replica b runs one second ahead
 * (libfaketime). The in-process replica tests share one clock, which is exactly where a lease released at the
 * end of a 40 ms job hides: the replica behind fires a second later, finds no lease and runs the tick again.
 *
 * Both replicas reach moto through a fault proxy, which sees every IAM call either of them makes (so "one
 * CreateUser" is counted at the wire) and can hold one call to make an execution slow for the restart.
 * Each replica has its own bot token, so the fake Slack can say which replica posted what.
 *
 * The replicas live for the whole file and the digest runs every 5 s throughout. The tests run in order; the
 * digest test comes after the others and judges every tick since both replicas came up (the restart's too),
 * so it has ticks enough without waiting for its own.
 */

const PERIOD_MS = 5_000;
const DIGEST_SCHEDULE = '*/5 * * * * *';
const REVOKE_SCHEDULE = '*/2 * * * * *';
const DIGEST_CHANNEL = 'C0DIGEST';
const SKEW_SECONDS = 1;
/** How long the proxy holds the restart test's CreateUser: long enough for SIGTERM to land mid-execution. */
const EXECUTION_DELAY_MS = 3_000;
/** Distinct approvers (via a user group), so the ten clicks are ten people racing, not one double-clicker. */
const APPROVERS = Array.from({ length: 10 }, (_, i) => `UREPL${String(i).padStart(4, '0')}`);

const dir = mkdtempSync(join(tmpdir(), 'aws-user-replicas-'));
const configPath = join(dir, 'config.yml');
writeFileSync(
  configPath,
  [
    'templates:',
    '  developer:',
    '    groups: []',
    '    grantable: { groups: [ProdDebug] }',
    'slack:',
    '  approvals_channel: C0APPROVALS',
    `  digest_channel: ${DIGEST_CHANNEL}`,
    `  approvers: [${USERS.approver}, S0REPLICAS]`,
    'jobs:',
    `  digest_schedule: '${DIGEST_SCHEDULE}'`,
    `  grant_revoke_schedule: '${REVOKE_SCHEDULE}'`,
    '',
  ].join('\n'),
);
const prefix = `t:replicas:${randomBytes(6).toString('hex')}:`;

let moto: Moto;
let fake: FakeSlack;
let proxy: FaultProxy;
let store: RedisStore;
let skew: Record<string, string>;
const replicas: Record<'a' | 'b', BotProcess | undefined> = { a: undefined, b: undefined };
/** Every process each replica id has had, for the log check (a restart makes a new one). */
const history: BotProcess[] = [];
/** When both replicas answered /healthz: ticks before this may hold one replica's start-up run alone. */
let bothUpAt = 0;

function token(id: string): string {
  return `xoxb-replica-${id}`;
}

function env(id: 'a' | 'b'): Record<string, string> {
  return {
    AWS_USER_CONFIG: configPath,
    SLACK_BOT_TOKEN: token(id),
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: prefix,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    LOG_LEVEL: 'debug',
    SHUTDOWN_GRACE_SECONDS: '20',
    REPLICA_ID: id,
    ...(id === 'b' ? skew : {}),
  };
}

async function start(id: 'a' | 'b'): Promise<BotProcess> {
  const p = await startBotProcess(id, env(id));
  replicas[id] = p;
  history.push(p);
  return p;
}

function replica(id: 'a' | 'b'): BotProcess {
  const p = replicas[id];
  if (!p) throw new Error(`replica ${id} is not running`);
  return p;
}

/** SIGTERM, as an orchestrator's rolling restart sends it; resolves with the exit code. */
async function stop(id: 'a' | 'b'): Promise<number | null> {
  const p = replica(id);
  replicas[id] = undefined;
  p.proc.kill('SIGTERM');
  return p.exit;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function since(mark: number): RecordedCall[] {
  return fake.calls.slice(mark);
}

// ---- the digest, tick by tick ----

interface Posted {
  at: number;
  by: string;
}

/** Top-level digest posts (thread replies are not digests), with who posted them, by bot token. */
function digests(): Posted[] {
  return fake.calls
    .filter((c) => c.method === 'chat.postMessage' && c.body.channel === DIGEST_CHANNEL && !c.body.thread_ts)
    .map((c) => ({ at: c.at, by: (c.token ?? '?').replace('xoxb-replica-', '') }));
}

/**
 * The tick a post belongs to: its arrival rounded to the 5 s slot. A tick's posts arrive between the skewed
 * replica's firing (1 s before the slot in real time) and the other's (at the slot) plus a run's time, so
 * rounding puts both of a doubled tick's posts on the same slot and never one tick's post on another's.
 */
function tickOf(at: number): number {
  return Math.round(at / PERIOD_MS);
}

/** Ticks whose every post has certainly arrived (the slot plus 2 s is past). */
function lastSettledTick(): number {
  return Math.floor((Date.now() - 2_000) / PERIOD_MS);
}

function hhmmss(ms: number, digits = 8): string {
  return new Date(ms).toISOString().slice(11, 11 + digits);
}

/** For each tick from `first` to `last`: its posts, and a line saying when and by whom, for failures. */
function ticks(first: number, last: number): { tick: number; posts: Posted[]; line: string }[] {
  const all = digests();
  const out: { tick: number; posts: Posted[]; line: string }[] = [];
  for (let t = first; t <= last; t++) {
    const posts = all.filter((p) => tickOf(p.at) === t);
    const who = posts.map((p) => `${p.by} at ${hhmmss(p.at, 12)}`).join(', ');
    out.push({
      tick: t,
      posts,
      line: `tick ${hhmmss(t * PERIOD_MS)}: ${posts.length} digest(s)${who ? ` (${who})` : ''}`,
    });
  }
  return out;
}

// ---- requests through Slack ----

/** Files a create request on `via` and returns its id from the approval message. */
async function fileCreate(via: BotProcess, username: string): Promise<string> {
  const res = await sendInteraction(
    via.url,
    viewSubmission({
      user: USERS.requester,
      callbackId: CREATE_CALLBACK,
      values: createValues({ username }),
      privateMetadata: '{"mode":"create"}',
    }),
  );
  expect(res.status).toBe(200);
  const msg = await fake.waitForCall(
    'chat.postMessage',
    (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body.blocks).includes(username),
    20_000,
  );
  return requestIdFrom(msg);
}

/** IAM calls that took effect in moto, from either replica, for one user. */
function applied(action: string, username: string): number {
  return proxy.applied.filter((c) => c.action === action && c.params.UserName === username).length;
}

async function auditOf(target: string): Promise<string[]> {
  return (await store.audit.recent({ target, limit: 200 })).map((e) => `${e.action}:${e.outcome}`);
}

function count(list: string[], item: string): number {
  return list.filter((x) => x === item).length;
}

function passwordDms(calls: RecordedCall[]): RecordedCall[] {
  return calls.filter(
    (c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Initial console password'),
  );
}

async function groupsOf(user: string): Promise<string[]> {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: user }));
  return (r.Groups ?? []).map((g) => g.GroupName ?? '');
}

beforeAll(async () => {
  skew = skewedClockEnv(SKEW_SECONDS);
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  proxy = await startFaultProxy(moto.endpoint);
  store = await redisStore(prefix);
  seedSlack(fake);
  fake.addUsergroup('S0REPLICAS', APPROVERS);
  for (const id of APPROVERS) fake.addUser({ id, name: id.toLowerCase() });
  await moto.iam().send(new CreateGroupCommand({ GroupName: 'ProdDebug' }));
  // The requester's own IAM user, made from the developer template: what a grant adds access to.
  await moto.iam().send(
    new CreateUserCommand({
      UserName: 'rita',
      Tags: [
        { Key: 'SlackUserId', Value: USERS.requester },
        { Key: TEMPLATE_TAG, Value: 'developer' },
      ],
    }),
  );
  await Promise.all([start('a'), start('b')]);
  bothUpAt = Date.now();
}, 120_000);

afterAll(async () => {
  await killAll();
  await store?.close();
  await Promise.all([proxy?.close(), moto?.stop(), fake?.stop()]);
});

describe('two replicas on one Redis, clocks 1 s apart', () => {
  it('turns 10 Approve clicks spread over both replicas into one execution and one password DM', async () => {
    const mark = fake.calls.length;
    const id = await fileCreate(replica('b'), 'alice');
    const targets = [replica('a'), replica('b')];
    const responses = await Promise.all(
      APPROVERS.map((user, i) =>
        sendInteraction(
          (targets[i % 2] as BotProcess).url,
          buttonClick({ user, actionId: APPROVE_ACTION, value: id }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(APPROVERS.map(() => 200));
    await fake.waitFor(
      (calls) =>
        calls
          .slice(mark)
          .some((c) => c.method === 'chat.postMessage' && String(c.body.text).includes(`\`${id}\` is done`)),
      20_000,
      'the requester told the request is done',
    );
    // The nine losers are told who won; once they all have been, no click is still on its way.
    await fake.waitFor(
      (calls) => calls.slice(mark).filter((c) => c.method === 'chat.postEphemeral').length >= 9,
      20_000,
      'nine "already approved" replies',
    );

    expect(applied('CreateUser', 'alice')).toBe(1);
    expect(passwordDms(since(mark))).toHaveLength(1);
    const audit = await auditOf('alice');
    expect(count(audit, 'user.create:success')).toBe(1);
    expect(count(audit, 'request.create:success')).toBe(1);
    expect((await store.getRequest(id))?.status).toBe('done');
  }, 45_000);

  it('revokes an expired grant once, with both replicas running the revoke job every 2 s', async () => {
    const mark = fake.calls.length;
    // Filed on a and approved on b through Slack, so the grant is real in IAM and the store; then its due
    // time is brought forward through the GrantStore's own claim/release (upsert keeps the later of two
    // expiries, so it cannot shorten one), rather than seeding a grant the bot never applied.
    const sel = (value: string) => ({ type: 'static_select', selected_option: { value } });
    const filed = await sendInteraction(
      replica('a').url,
      viewSubmission({
        user: USERS.requester,
        callbackId: GRANT_REQUEST_CALLBACK,
        values: {
          [GRANT_BLOCKS.account]: { [GRANT_BLOCKS.account]: sel(MOTO_ACCOUNT) },
          [GRANT_BLOCKS.access]: { [GRANT_BLOCKS.access]: sel('group:ProdDebug') },
          [GRANT_BLOCKS.duration]: { [GRANT_BLOCKS.duration]: sel('60') },
          [GRANT_BLOCKS.reason]: { [GRANT_BLOCKS.reason]: { type: 'plain_text_input', value: 'hotfix' } },
        },
      }),
    );
    expect(filed.status).toBe(200);
    const approval = await fake.waitForCall(
      'chat.postMessage',
      (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body.blocks).includes('ProdDebug'),
      20_000,
    );
    await sendInteraction(
      replica('b').url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: requestIdFrom(approval) }),
    );
    await waitFor(async () => (await groupsOf('rita')).includes('ProdDebug'), 20_000, 'the grant in IAM');
    // IAM first, then the store records the expiry (flows/grants.ts grantAccess): wait for the record too.
    await waitFor(
      async () => (await store.grants.listActive({ username: 'rita' })).length > 0,
      10_000,
      'the grant in the store',
    );
    const [grant] = await store.grants.listActive({ username: 'rita' });
    if (!grant) throw new Error('the approved grant is not in the store');

    const dueAt = new Date(Date.now() + 2_000);
    const claimed = await store.grants.claimNow(grant.id);
    if (!claimed) throw new Error('could not claim the grant to shorten it');
    await store.grants.release({ ...claimed, expiresAt: dueAt.toISOString() }, dueAt);

    await waitFor(async () => !(await groupsOf('rita')).includes('ProdDebug'), 20_000, 'the revoke in IAM');
    // Every replica gets two more revoke ticks after the due time to revoke it a second time, and must not.
    await sleep(Math.max(0, dueAt.getTime() + 4_500 - Date.now()));

    expect(applied('RemoveUserFromGroup', 'rita')).toBe(1);
    expect(count(await auditOf('rita'), 'grant.revoke:success')).toBe(1);
    const ended = since(mark).filter(
      (c) => c.method === 'chat.postMessage' && String(c.body.text).includes('Revoked (expired)'),
    );
    expect(ended).toHaveLength(1);
    expect((await store.grants.get(grant.id))?.status).toBe('revoked');
  }, 60_000);

  it('rolls a restart through both replicas (SIGTERM a mid-execution, then b): the request runs once, the digest stays once per tick', async () => {
    const mark = fake.calls.length;
    const windowStart = Date.now();
    let started: () => void = () => undefined;
    const creating = new Promise<void>((r) => {
      started = r;
    });
    proxy.before('CreateUser', async () => {
      started();
      await sleep(EXECUTION_DELAY_MS);
    });

    const id = await fileCreate(replica('b'), 'carol');
    const a = replica('a');
    await sendInteraction(a.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
    await creating;
    // a is inside the execution (its CreateUser held at the proxy) when the orchestrator stops it.
    expect(await stop('a')).toBe(0);
    expect(a.output()).toContain('waiting for running work before exit');
    await start('a');
    expect(await stop('b')).toBe(0);
    await start('b');
    const windowEnd = Date.now();

    await fake.waitForCall(
      'chat.postMessage',
      (c) => String(c.body.text).includes(`\`${id}\` is done`),
      20_000,
    );
    expect(applied('CreateUser', 'carol')).toBe(1);
    expect(passwordDms(since(mark))).toHaveLength(1);
    const audit = await auditOf('carol');
    expect(count(audit, 'request.create:success')).toBe(1);
    expect(count(audit, 'user.create:success')).toBe(1);
    expect((await store.getRequest(id))?.status).toBe('done');

    // Every whole tick from this test's start until one period after b came back (its start-up included).
    const first = tickOf(windowStart + 1_000) + 1;
    const last = tickOf(windowEnd + PERIOD_MS);
    await waitFor(async () => lastSettledTick() >= last, 20_000, 'the restart window to settle');
    const all = ticks(first, last);
    const table = all.map((t) => t.line).join('\n');
    expect(
      all.filter((t) => t.posts.length > 1).map((t) => t.line),
      `digest ticks during the restart:\n${table}`,
    ).toEqual([]);
    expect(
      all.filter((t) => t.posts.length === 0).map((t) => t.line),
      `digest ticks during the restart (one replica was always up, so none may be missed):\n${table}`,
    ).toEqual([]);
  }, 90_000);

  it('posts the inactive digest once per tick, for several ticks', async () => {
    // Judged from the first whole tick after both replicas were up: before it, only one of them was running.
    const first = tickOf(bothUpAt + 3_000) + 1;
    await waitFor(async () => lastSettledTick() - first + 1 >= 3, 40_000, 'three settled digest ticks');
    const all = ticks(first, lastSettledTick());
    const twice = all.filter((t) => t.posts.length > 1).map((t) => t.line);
    expect(twice, `ticks with more than one digest:\n${all.map((t) => t.line).join('\n')}`).toEqual([]);
    expect(all.filter((t) => t.posts.length === 1).length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('names the replica in every job log line and in /healthz', async () => {
    for (const id of ['a', 'b'] as const) {
      const health = (await (await fetch(replica(id).healthUrl)).json()) as Record<string, unknown>;
      expect.soft(health, `replica ${id}'s /healthz`).toMatchObject({ replica: id });
      const jobLines = history
        .filter((p) => p.id === id)
        .flatMap((p) => logLines(p.output()))
        .filter((l) => 'job' in l);
      expect.soft(jobLines.length, `job log lines from replica ${id}`).toBeGreaterThan(0);
      const unnamed = jobLines.filter((l) => l.replica !== id);
      expect
        .soft(
          unnamed.slice(0, 3),
          `${unnamed.length} of ${jobLines.length} job log lines from ${id} lack replica: "${id}"`,
        )
        .toEqual([]);
    }
  });
});
