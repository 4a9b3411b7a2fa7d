import { GetUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { drainAndClose } from '../../src/shutdown.js';
import { RESTARTING } from '../../src/slack/drain.js';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';
import { redisStore } from '../helpers/store.js';

let moto: Moto;
let fake: FakeSlack;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  fake.reset();
  seedSlack(fake);
});

function pending(id: string, username: string): PendingRequest {
  const now = Date.now();
  return {
    id,
    kind: 'create',
    requester: USERS.requester,
    target: { username, email: `${username}@example.com`, slackUserId: USERS.alice },
    template: 'developer',
    account: '123456789012',
    justification: 'drain test',
    extraGroups: [],
    approvalsNeeded: 1,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
  };
}

/** A createUser that waits for `gate` before doing the real work, and says when it has started. */
function gatedCreate() {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let started: () => void = () => undefined;
  const running = new Promise<void>((r) => {
    started = r;
  });
  return { gate, open: () => open(), running, started: () => started() };
}

const quiet = createLogger('silent');
const noJobs = { stop: async () => undefined };

describe('SIGTERM while an approved execution runs', () => {
  it('waits for the execution, which is recorded done before the store closes; a click during the drain starts nothing', async () => {
    const g = gatedCreate();
    const prefix = `t:drain:${Math.random().toString(36).slice(2)}:`;
    const t: TestBot = await startBot({
      fake,
      moto,
      prefix,
      ops: (_ctx, real) => ({
        ...real,
        createUser: async (input, who) => {
          g.started();
          await g.gate;
          return real.createUser(input, who);
        },
      }),
    });
    await t.store.createRequest(pending('r-slow', 'slowpoke'));
    await t.store.createRequest(pending('r-late', 'latecomer'));
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: 'r-slow' }),
    );
    await g.running;
    expect(t.deps.drain.inFlight()).toEqual(['button:approve']);

    let statusAtClose: string | undefined;
    const closing = drainAndClose({
      drain: t.deps.drain,
      jobs: noJobs,
      receiver: t.bot,
      store: {
        close: async () => {
          statusAtClose = (await t.store.getRequest('r-slow'))?.status;
          await t.store.close();
        },
      },
      logger: quiet,
      graceMs: 20_000,
    });
    // The receiver is stopped: a click that still reaches the process finds nobody listening…
    await expect(
      sendInteraction(
        t.url,
        buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: 'r-late' }),
      ),
    ).rejects.toThrow();
    // …and one already inside (a kept-alive connection, a Socket Mode envelope in flight) is turned away.
    const { approveAction } = await import('../../src/handlers/actions/approve.js');
    await approveAction(t.deps)({
      ack: async () => undefined,
      body: buttonClick({
        user: USERS.approver,
        actionId: APPROVE_ACTION,
        value: 'r-late',
      }) as never,
      action: { type: 'button', action_id: APPROVE_ACTION, value: 'r-late' } as never,
    } as never);
    const ephemeral = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.approver);
    expect(ephemeral.body.text).toBe(RESTARTING);

    g.open();
    expect(await closing).toEqual({ drained: true, left: [] });
    expect(statusAtClose).toBe('done');
    const user = await moto.iam().send(new GetUserCommand({ UserName: 'slowpoke' }));
    expect(user.User?.UserName).toBe('slowpoke');

    const after = await redisStore(prefix);
    expect((await after.getRequest('r-slow'))?.outcome).toContain('created `slowpoke`');
    expect((await after.getRequest('r-late'))?.status).toBe('pending');
    await expect(moto.iam().send(new GetUserCommand({ UserName: 'latecomer' }))).rejects.toThrow();
    await after.close();
    t.ctx.clients.destroy();
  });

  it('honours the grace: past it, shutdown goes on and names what was still running, left approving for recovery', async () => {
    const g = gatedCreate();
    const prefix = `t:drain:${Math.random().toString(36).slice(2)}:`;
    const t = await startBot({
      fake,
      moto,
      prefix,
      ops: (_ctx, real) => ({
        ...real,
        createUser: async (input, who) => {
          g.started();
          await g.gate;
          return real.createUser(input, who);
        },
      }),
    });
    await t.store.createRequest(pending('r-stuck', 'stuck'));
    await sendInteraction(
      t.url,
      buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: 'r-stuck' }),
    );
    await g.running;
    let statusAtClose: string | undefined;
    const out = await drainAndClose({
      drain: t.deps.drain,
      jobs: noJobs,
      receiver: t.bot,
      store: {
        close: async () => {
          statusAtClose = (await t.store.getRequest('r-stuck'))?.status;
        },
      },
      logger: quiet,
      graceMs: 200,
    });
    expect(out).toEqual({ drained: false, left: ['button:approve'] });
    expect(statusAtClose).toBe('approving');
    g.open();
    await t.deps.drain.settle(20_000);
    await t.store.close();
    t.ctx.clients.destroy();
  });
});
