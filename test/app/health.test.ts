import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { botConfig, seedSlack, startBot, type TestBot } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { SIGNING_SECRET } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  seedSlack(fake);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

describe('/healthz and start-up modes', () => {
  it('reports the replica, the store, AWS and the jobs, and 503 when AWS does not answer, naming no account or ARN', async () => {
    let awsDown = false;
    t = await startBot({
      fake,
      moto,
      ops: (_ctx, real) => ({
        ...real,
        identity: async () => {
          if (awsDown) throw new Error('ExpiredToken: the security token included in the request is expired');
          return real.identity();
        },
      }),
    });
    const ok = await fetch(t.healthUrl);
    expect(ok.status).toBe(200);
    const okText = await ok.text();
    expect(JSON.parse(okText)).toEqual({
      status: 'ok',
      replica: t.deps.config.env.replicaId,
      store: 'ok',
      aws: 'ok',
      jobs: {},
    });
    expect(okText).not.toMatch(/123456789012|arn:/);
    // A job run, as the next probe shows it: its last tick, who ran it, and how it went.
    const tick = new Date('2026-12-01T09:00:00Z');
    const claim = await t.deps.store.jobs.claim('inactive-digest', tick, { replica: 'b', leaseMs: 60_000 });
    expect(((await (await fetch(t.healthUrl)).json()) as { jobs: unknown }).jobs).toEqual({
      'inactive-digest': { claimedTick: tick.toISOString(), claimedBy: 'b', runningBy: 'b' },
    });
    if (claim.claimed)
      await t.deps.store.jobs.complete('inactive-digest', tick, claim.token, {
        replica: 'b',
        outcome: 'ok',
        now: tick,
        durationMs: 41,
      });
    expect(((await (await fetch(t.healthUrl)).json()) as { jobs: unknown }).jobs).toEqual({
      'inactive-digest': {
        claimedTick: tick.toISOString(),
        claimedBy: 'b',
        completedTick: tick.toISOString(),
        completedBy: 'b',
        completedAt: tick.toISOString(),
        outcome: 'ok',
        durationMs: 41,
      },
    });
    awsDown = true;
    const down = await fetch(t.healthUrl);
    expect(down.status).toBe(503);
    // The reason can quote an ARN (AccessDenied does): it goes to the log, not to whoever can reach the port.
    expect(await down.json()).toMatchObject({ status: 'degraded', store: 'ok', aws: 'down' });
    expect(t.logs()).toMatch(/ExpiredToken/);
  });

  it('names the AWS account, the ARN and why a part is down only with HEALTHZ_VERBOSE=true', async () => {
    expect(() => parseEnv({ HEALTHZ_VERBOSE: 'yes' })).toThrow(/HEALTHZ_VERBOSE: use true or false/);
    expect(parseEnv({}).healthzVerbose).toBe(false);
    const base = botConfig(fake);
    const env = parseEnv({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      HEALTHZ_VERBOSE: 'true',
    });
    let awsDown = false;
    const v = await startBot({
      fake,
      moto,
      config: { ...base, env },
      ops: (_ctx, real) => ({
        ...real,
        identity: async () => {
          if (awsDown) throw new Error('ExpiredToken: the security token included in the request is expired');
          return real.identity();
        },
      }),
    });
    try {
      const ok = await fetch(v.healthUrl);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({
        status: 'ok',
        store: 'ok',
        aws: { account: '123456789012', arn: expect.stringContaining('arn:aws:') },
      });
      awsDown = true;
      const down = await fetch(v.healthUrl);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ aws: expect.stringMatching(/^down: ExpiredToken/) });
    } finally {
      await v.stop();
    }
  });

  it('chooses Socket Mode when SLACK_APP_TOKEN is set, and refuses to build without tokens', () => {
    const config = botConfig(fake);
    const deps = t.deps;
    const socket = createApp(
      { ...config, env: { ...config.env, slackAppToken: 'xapp-1-test', slackSigningSecret: undefined } },
      deps,
    );
    expect(socket.mode).toBe('socket');
    expect(() => createApp({ ...config, env: parseEnv({}) }, deps)).toThrow(ConfigError);
    expect(() => createApp({ ...config, env: parseEnv({}) }, deps)).toThrow(
      /SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.*manifest\.yml/,
    );
  });
});
