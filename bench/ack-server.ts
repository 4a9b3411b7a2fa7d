/**
 * One app under test, in its own process (as in production, where the load comes from Slack, not from the
 * bot's own event loop): `bot` = createApp over a 1.5 s stub IAM, real Redis and the fake Slack;
 * `bare` = a Bolt app that only acks. Prints its /slack/events URL on stdout.
 */
import type { Server } from 'node:http';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { createApp, EVENTS_PATH } from '../src/app.js';
import { parseEnv } from '../src/config.js';
import { type CoreOps, systemClock } from '../src/core/index.js';
import type { BaseDeps } from '../src/deps.js';
import { silentLogger } from '../src/logger.js';
import { RedisStore } from '../src/store/redis.js';
import { APPROVE_ACTION } from '../src/views/approval.js';
import { botConfig } from '../test/helpers/bot.js';
import type { FakeSlack } from '../test/helpers/fake-slack.js';
import { SIGNING_SECRET } from '../test/helpers/slack-requests.js';

const [kind, apiUrl, redisUrl, prefix, delay] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const IAM_DELAY_MS = Number(delay);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function slowOps(): CoreOps {
  const slow =
    <T>(value: T) =>
    async (): Promise<T> => {
      await sleep(IAM_DELAY_MS);
      return value;
    };
  return {
    validateCreate: slow(undefined),
    createUser: slow({
      status: 'created' as const,
      account: '123456789012',
      username: 'bench',
      plan: [],
      groups: [],
      managedPolicies: [],
      inlinePolicies: [],
    }),
    describeUser: slow(undefined),
    offboardUser: slow(undefined),
    sweepOffboarded: slow(undefined),
    createAccessKey: slow(undefined),
    rotateAccessKey: slow({ oldKeyIds: [] }),
    sweepKeyRotations: slow(undefined),
    startMfaEnrollment: slow(undefined),
    completeMfaEnrollment: slow(undefined),
    abandonMfaEnrollment: slow(undefined),
    usersOwnedBy: slow([]),
    identity: slow({ account: '123456789012', arn: 'arn' }),
  } as unknown as CoreOps;
}

let server: Server;
if (kind === 'bot') {
  const store = new RedisStore({ url: redisUrl, prefix });
  await store.connect();
  const config = {
    ...botConfig({ apiUrl } as FakeSlack),
    env: parseEnv({
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: apiUrl,
    }),
  };
  const logger = silentLogger();
  // Every AWS call goes through the bound core, so a slow core is a slow IAM.
  const deps: BaseDeps = { config, core: slowOps(), store, clock: systemClock, logger };
  const bot = createApp(config, deps);
  server = (await bot.app.start(0)) as unknown as Server;
} else {
  const bare = new App({
    token: 'xoxb-bench',
    receiver: new HTTPReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR }),
    clientOptions: { slackApiUrl: apiUrl },
    logLevel: LogLevel.ERROR,
  });
  bare.command('/aws-user', async ({ ack }) => ack());
  bare.action(APPROVE_ACTION, async ({ ack }) => ack());
  server = (await bare.start(0)) as unknown as Server;
}
const addr = server.address();
process.stdout.write(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}${EVENTS_PATH}\n`);
process.on('SIGTERM', () => process.exit(0));
