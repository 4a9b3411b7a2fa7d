import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { Auditor, type CoreOps } from '../../src/core/index.js';
import type { Deps } from '../../src/deps.js';
import { approvalExpiry } from '../../src/jobs/approval-expiry.js';
import { keyRotationSweep } from '../../src/jobs/key-rotation-sweep.js';
import { mfaCleanup } from '../../src/jobs/mfa-cleanup.js';
import { offboardSweep } from '../../src/jobs/offboard-sweep.js';
import { temporaryAccess } from '../../src/jobs/temporary-access.js';
import { silentLogger } from '../../src/logger.js';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { testConfig } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { redisStore } from '../helpers/store.js';

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake?.stop();
});

/** Core stubbed by the members a test needs; their return values are what the job ignores. */
async function jobDeps(
  ops: {
    [K in keyof CoreOps]?: (
      ...args: Parameters<CoreOps[K] extends (...a: never[]) => unknown ? CoreOps[K] : never>
    ) => Promise<unknown>;
  } = {},
) {
  const store = await redisStore();
  const clock = fixedClock(new Date('2026-03-01T00:00:00Z'));
  const config = testConfig();
  const auditor = new Auditor(store.audit, clock);
  const deps = {
    config,
    store,
    clock,
    logger: silentLogger(),
    core: { ...ops, audit: (e: Parameters<CoreOps['audit']>[0]) => auditor.record(e) } as unknown as CoreOps,
    client: new WebClient('xoxb-test', { slackApiUrl: fake.apiUrl }),
  } as unknown as Deps;
  return { deps, store, clock };
}

describe('approval-expiry', () => {
  it('expires overdue requests, updates their message, tells the requester, and audits', async () => {
    const { deps, store, clock } = await jobDeps();
    const r: PendingRequest = {
      id: 'old',
      kind: 'create',
      requester: 'UREQ',
      target: { username: 'alice' },
      template: 'developer',
      account: '123456789012',
      justification: 'x',
      extraGroups: [],
      approvalsNeeded: 1,
      adminOnly: false,
      approvals: [],
      status: 'pending',
      createdAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + 72 * 3_600_000).toISOString(),
      message: { channel: 'C0APPROVALS', ts: '1.1' },
    };
    await store.createRequest(r);
    await store.setRequestMessage('old', { channel: 'C0APPROVALS', ts: '1.1' });
    await approvalExpiry.run(deps);
    expect((await store.getRequest('old'))?.status).toBe('pending');

    clock.advance(72 * 3_600_000);
    fake.reset();
    await approvalExpiry.run(deps);
    expect((await store.getRequest('old'))?.status).toBe('expired');
    const update = fake.callsTo('chat.update')[0];
    expect(update?.body).toMatchObject({ channel: 'C0APPROVALS', ts: '1.1' });
    expect(JSON.stringify(update?.body.blocks)).not.toContain(APPROVE_ACTION);
    expect(JSON.stringify(update?.body.blocks)).toContain('Expired');
    expect(fake.callsTo('chat.postMessage')[0]?.body).toMatchObject({ channel: 'DUREQ' });
    expect((await store.audit.recent({ target: 'alice', limit: 5 }))[0]).toMatchObject({
      outcome: 'expired',
      actor: 'system',
    });

    fake.reset();
    await approvalExpiry.run(deps);
    expect(fake.calls).toEqual([]);
    await store.close();
  });
});

describe('sweep jobs', () => {
  it('key-rotation-sweep and offboard-sweep run core’s sweeps as the system actor', async () => {
    const calls: string[] = [];
    const { deps, store } = await jobDeps({
      sweepKeyRotations: async (who) => {
        calls.push(`keys:${who.actor}`);
        return undefined;
      },
      sweepOffboarded: async (who) => {
        calls.push(`offboard:${who.actor}`);
        return undefined;
      },
    });
    await keyRotationSweep.run(deps);
    await offboardSweep.run(deps);
    expect(calls).toEqual(['keys:system:key-rotation-sweep', 'offboard:system:offboard-sweep']);
    expect(keyRotationSweep.schedule(deps.config)).toBe('0 * * * *');
    expect(offboardSweep.schedule(deps.config)).toBe('30 * * * *');
    await store.close();
  });
});

describe('temporary-access', () => {
  it('offboards a user when its duration ends, tells owner and requester, and retries a failure', async () => {
    const offboarded: string[] = [];
    let fail = true;
    const { deps, store, clock } = await jobDeps({
      offboardUser: async (input) => {
        if (fail) throw new Error('Throttling');
        offboarded.push(input.username);
        return undefined;
      },
    });
    const endsAt = new Date(clock.now().getTime() + 8 * 3_600_000).toISOString();
    await store.putTemporaryUser({
      id: 'r1',
      account: '123456789012',
      username: 'temp',
      owner: 'UOWNER',
      requester: 'UREQ',
      endsAt,
    });
    await temporaryAccess.run(deps);
    expect(offboarded).toEqual([]);
    clock.advance(8 * 3_600_000);
    await temporaryAccess.run(deps);
    expect(offboarded).toEqual([]);
    fail = false;
    fake.reset();
    await temporaryAccess.run(deps);
    expect(offboarded).toEqual(['temp']);
    expect(
      fake
        .callsTo('chat.postMessage')
        .map((c) => c.body.channel)
        .sort(),
    ).toEqual(['DUOWNER', 'DUREQ']);
    await temporaryAccess.run(deps);
    expect(offboarded).toEqual(['temp']);
    await store.close();
  });
});

describe('stuck runs', () => {
  it('marks a request left running by a dead replica as failed (outcome unknown: this core cannot read IAM) once its lease lapsed', async () => {
    const { deps, store, clock } = await jobDeps();
    const r: PendingRequest = {
      id: 'stuck',
      kind: 'create',
      requester: 'UREQ',
      target: { username: 'bob' },
      template: 'developer',
      account: '123456789012',
      justification: 'x',
      extraGroups: [],
      approvalsNeeded: 1,
      adminOnly: false,
      approvals: [],
      status: 'pending',
      createdAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + 72 * 3_600_000).toISOString(),
    };
    await store.createRequest(r);
    expect((await store.approve('stuck', 'UAPP', clock.now())).result).toBe('approved');
    // A live replica renews its lease; while it is fresh, the run is left alone.
    clock.advance(90_000);
    await store.renewApproving('stuck', clock.now());
    clock.advance(90_000);
    await approvalExpiry.run(deps);
    expect((await store.getRequest('stuck'))?.status).toBe('approving');
    clock.advance(2 * 60_000);
    fake.reset();
    await approvalExpiry.run(deps);
    expect(await store.getRequest('stuck')).toMatchObject({
      status: 'failed',
      outcome: expect.stringContaining('outcome unknown'),
    });
    expect(fake.callsTo('chat.postMessage')[0]?.body).toMatchObject({ channel: 'DUREQ' });
    expect(await store.listApprovingSince(clock.now())).toEqual([]);
    await store.close();
  });

  it('a finished run leaves nothing to recover', async () => {
    const { store, clock } = await jobDeps();
    const r = {
      id: 'ok',
      kind: 'create',
      requester: 'U',
      target: { username: 'c' },
      account: '123456789012',
      justification: 'x',
      extraGroups: [],
      approvalsNeeded: 1,
      adminOnly: false,
      approvals: [],
      status: 'pending',
      createdAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + 3_600_000).toISOString(),
    } as PendingRequest;
    await store.createRequest(r);
    await store.approve('ok', 'UAPP', clock.now());
    await store.finish('ok', 'done', 'created', clock.now());
    expect(await store.listApprovingSince(new Date(clock.now().getTime() + 3_600_000))).toEqual([]);
    await store.close();
  });
});

describe('mfa-cleanup', () => {
  it('abandons a stale enrollment, then sweeps the untracked devices the bot created, 15 minutes and older', async () => {
    const calls: string[] = [];
    const { deps, store, clock } = await jobDeps({
      abandonMfaEnrollment: async (input) => {
        calls.push(`abandon:${input.account}:${input.serialNumber}`);
      },
      sweepAbandonedMfa: async (olderThanMinutes, who) => {
        calls.push(`sweep:${olderThanMinutes}:${who.actor}`);
        return { deleted: [], failed: [] };
      },
    });
    await store.putMfa({
      id: 'e1',
      owner: 'UOWNER',
      startedBy: 'UOWNER',
      account: '123456789012',
      username: 'alice',
      serialNumber: 'arn:aws:iam::123456789012:mfa/alice',
      startedAt: clock.now().toISOString(),
    });
    clock.advance(16 * 60_000);
    await mfaCleanup.run(deps);
    expect(calls).toEqual([
      'abandon:123456789012:arn:aws:iam::123456789012:mfa/alice',
      'sweep:15:system:mfa-cleanup',
    ]);
    expect(await store.getMfa('e1')).toBeUndefined();
    await store.close();
  });
});
