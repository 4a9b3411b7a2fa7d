import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { botConfig, seedSlack, startBot, type TestBot } from '../helpers/bot.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';

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
  it('reports the replica, the store, the AWS identity and the jobs, and 503 when AWS does not answer', async () => {
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
    expect(await ok.json()).toEqual({
      status: 'ok',
      replica: t.deps.config.env.replicaId,
      store: 'ok',
      aws: { account: '123456789012', arn: expect.stringContaining('arn:aws:') },
      jobs: {},
    });
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
    expect(await down.json()).toMatchObject({
      status: 'degraded',
      store: 'ok',
      aws: expect.stringMatching(/^down: ExpiredToken/),
    });
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
