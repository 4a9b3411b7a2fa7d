import { randomBytes } from 'node:crypto';
import { type BotApp, createApp, EVENTS_PATH } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { parseEnv } from '../../src/config.js';
import {
  Auditor,
  bindCore,
  type Clock,
  type CoreContext,
  type CoreOps,
  systemClock,
} from '../../src/core/index.js';
import type { BaseDeps, Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import type { RedisStore } from '../../src/store/redis.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { CREATE_CALLBACK, USER_PICKED_ACTION } from '../../src/views/create-modal.js';
import { recordCommands, testConfig } from './core.js';
import type { FakeSlack, RecordedCall } from './fake-slack.js';
import type { Moto } from './moto.js';
import { SIGNING_SECRET, sendInteraction, viewSubmission } from './slack-requests.js';
import { redisStore } from './store.js';

export const USERS = {
  requester: 'UREQUESTER',
  approver: 'UAPPROVER1',
  approver2: 'UAPPROVER2',
  groupApprover: 'UGROUPMEMBER',
  admin: 'UADMIN0001',
  stranger: 'USTRANGER1',
  alice: 'UALICE0001',
} as const;

/** The Slack side of the test config: approvals channel, approvers (one via a user group) and an admin. */
export function botConfig(fake: FakeSlack, over: Partial<Config> = {}): Config {
  const base = testConfig();
  return {
    ...base,
    slack: {
      approvals_channel: 'C0APPROVALS',
      approvers: [USERS.approver, USERS.approver2, 'S0SECURITY'],
      admins: [USERS.admin],
      sign_in_url: 'https://123456789012.signin.aws.amazon.com/console',
    },
    env: parseEnv({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      LOG_LEVEL: 'debug',
    }),
    ...over,
  };
}

export function seedSlack(fake: FakeSlack): void {
  fake
    .addUser({ id: USERS.requester, name: 'rita', email: 'rita@example.com' })
    .addUser({ id: USERS.approver, name: 'amir', email: 'amir@example.com' })
    .addUser({ id: USERS.approver2, name: 'ana', email: 'ana@example.com' })
    .addUser({ id: USERS.groupApprover, name: 'gus', email: 'gus@example.com' })
    .addUser({ id: USERS.admin, name: 'ada', email: 'ada@example.com' })
    .addUser({ id: USERS.stranger, name: 'sam', email: 'sam@example.com' })
    .addUser({ id: USERS.alice, name: 'alice', real_name: 'Alice Liddell', email: 'alice@example.com' })
    .addUsergroup('S0SECURITY', [USERS.groupApprover]);
}

export interface TestBot {
  bot: BotApp;
  url: string;
  healthUrl: string;
  store: RedisStore;
  ctx: CoreContext;
  deps: Deps;
  /** Every IAM command this bot sent, by name (e.g. "CreateUser"). */
  iamCommands: string[];
  /** Everything the bot logged, for secret scans. */
  logs(): string;
  stop(): Promise<void>;
}

export interface StartBotOptions {
  fake: FakeSlack;
  moto: Moto;
  /** Share one prefix between bots to make them replicas of one deployment. */
  prefix?: string;
  config?: Config;
  clock?: Clock;
  ops?: (ctx: CoreContext, real: CoreOps) => CoreOps;
  store?: RedisStore;
}

export async function startBot(o: StartBotOptions): Promise<TestBot> {
  const config = o.config ?? botConfig(o.fake);
  const clock = o.clock ?? systemClock;
  const store = o.store ?? (await redisStore(o.prefix ?? `t:bot:${randomBytes(6).toString('hex')}:`));
  let logText = '';
  const logger = createLogger('debug', {
    write(chunk: string) {
      logText += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream);
  const clients = o.moto.clients(config.accounts, { clock });
  const iamCommands: string[] = [];
  recordCommands(clients.iam(clients.home.id), iamCommands);
  const ctx: CoreContext = {
    config,
    clients,
    auditor: new Auditor(store.audit, clock, logger),
    clock,
    logger,
    sleep: async () => undefined,
  };
  const real = bindCore(ctx);
  const base: BaseDeps = { config, core: o.ops ? o.ops(ctx, real) : real, store, clock, logger };
  const bot = createApp(config, base);
  const deps = bot.deps;
  const port = await bot.start(0);
  return {
    bot,
    url: `http://127.0.0.1:${port}${EVENTS_PATH}`,
    healthUrl: `http://127.0.0.1:${port}/healthz`,
    store,
    ctx,
    deps,
    iamCommands,
    logs: () => logText,
    async stop() {
      await bot.stop();
      await store.close();
      clients.destroy();
    },
  };
}

/** view.state.values for the create modal, as Slack sends them. */
export function createValues(
  over: Partial<{
    owner: string;
    username: string;
    email: string;
    template: string;
    justification: string;
    groups: string;
    duration: string;
  }> = {},
) {
  const v = {
    owner: USERS.alice,
    username: 'alice',
    email: 'alice@example.com',
    template: 'developer',
    justification: 'New backend engineer',
    groups: '',
    duration: '',
    ...over,
  };
  return {
    owner: { [USER_PICKED_ACTION]: { type: 'users_select', selected_user: v.owner } },
    username: { username: { type: 'plain_text_input', value: v.username } },
    email: { email: { type: 'plain_text_input', value: v.email } },
    template: {
      template: { type: 'static_select', selected_option: v.template ? { value: v.template } : null },
    },
    extra_groups: { extra_groups: { type: 'plain_text_input', value: v.groups } },
    justification: { justification: { type: 'plain_text_input', value: v.justification } },
    duration: {
      duration: { type: 'static_select', selected_option: v.duration ? { value: v.duration } : null },
    },
  };
}

export async function submitCreate(bot: TestBot, values = createValues(), user: string = USERS.requester) {
  return sendInteraction(
    bot.url,
    viewSubmission({ user, callbackId: CREATE_CALLBACK, values, privateMetadata: '{"mode":"create"}' }),
  );
}

/** The request id on the approval message's Approve button. */
export function requestIdFrom(call: RecordedCall): string {
  const blocks = call.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
  const btn = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === APPROVE_ACTION);
  if (!btn) throw new Error('no Approve button on the message');
  return btn.value;
}
