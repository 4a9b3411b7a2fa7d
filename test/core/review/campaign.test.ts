import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock } from '../../../src/core/clock.js';
import { parseDue, startCampaign } from '../../../src/core/review/campaign.js';
import type { ReviewItem } from '../../../src/core/review/types.js';
import { ValidationError } from '../../../src/errors.js';
import { MemoryReviewStore } from '../../../src/store/review-store-memory.js';
import { createGroups, testCtx } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

/** startCampaign against moto: real SDK, real credential report and GetAccountAuthorizationDetails. */
let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const line = (i: ReviewItem) => `${i.principal.name} ${i.entitlement.kind} ${i.entitlement.name}`;

describe('startCampaign against moto', () => {
  it('freezes every entitlement with its evidence, audits the counts, and later IAM changes do not alter it', async () => {
    const iam = moto.iam();
    await createGroups(iam, ['devs', 'ops']);
    await iam.send(
      new CreateUserCommand({
        UserName: 'alice',
        Tags: [
          { Key: 'Email', Value: 'alice@example.com' },
          { Key: 'Manager', Value: 'carol@example.com' },
          { Key: 'SlackUserId', Value: 'UALICE' },
        ],
      }),
    );
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Initial-Pass-123!' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'devs' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: READ_ONLY }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'alice',
        PolicyName: 'logs',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
      }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    await iam.send(new AddUserToGroupCommand({ UserName: 'bob', GroupName: 'ops' }));

    // 200 days on: nothing was ever used, and everything is older than the thresholds.
    const now = new Date(Date.now() + 200 * DAY_MS);
    const ctx = testCtx(moto, { clock: fixedClock(now) });
    const store = new MemoryReviewStore();
    const { campaign, summary } = await startCampaign(ctx, store, {
      name: '  Q1 2027  ',
      dueDays: 14,
      createdBy: 'cli:tester',
    });

    expect(campaign).toMatchObject({
      id: expect.stringMatching(/^rv-[0-9a-f]{8}$/),
      name: 'Q1 2027',
      status: 'created',
      createdAt: now.toISOString(),
      createdBy: 'cli:tester',
      dueAt: new Date(now.getTime() + 14 * DAY_MS).toISOString(),
      thresholds: { console_days: 90, access_key_days: 180 },
      itemCount: 6,
      accounts: [{ id: MOTO_ACCOUNT, ok: true, reportGeneratedAt: expect.any(String) }],
    });
    expect(await store.getCampaign(campaign.id)).toEqual(campaign);
    const items = await store.items(campaign.id);
    expect(items.map(line)).toEqual([
      'alice console console',
      'alice access-key access key 1',
      'alice group devs',
      `alice managed-policy ${READ_ONLY}`,
      'alice inline-policy logs',
      'bob group ops',
    ]);
    expect(items.map((i) => i.id)).toEqual(items.map((_, n) => `${campaign.id}.${n + 1}`));
    expect(items[0]).toMatchObject({
      principal: {
        kind: 'iam-user',
        name: 'alice',
        email: 'alice@example.com',
        managerEmail: 'carol@example.com',
        slackUserId: 'UALICE',
      },
      ownerSlackId: 'UALICE',
      evidence: { lastUsedOf: 'console sign-in', neverUsed: true, unused: true },
    });
    expect(items[1]?.entitlement).toMatchObject({ keySlot: 1, keyCreatedAt: expect.stringMatching(/Z$/) });
    expect(items.every((i) => i.evidence.unused)).toBe(true);
    expect(summary).toEqual({
      people: 2,
      items: 6,
      byKind: expect.objectContaining({ console: 1, 'access-key': 1, group: 2, 'managed-policy': 1 }),
      unused: 6,
      accounts: { ok: 1, failed: 0, withProblems: 0 },
    });

    const events = ctx.sink.events.filter((e) => e.action === 'review.start');
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'cli:tester',
        target: campaign.id,
        outcome: 'success',
        details: expect.objectContaining({ summary, name: 'Q1 2027' }),
      }),
    ]);
    // Counts, never the items themselves.
    expect(JSON.stringify(events[0]?.details)).not.toMatch(/alice|bob|devs/);

    // The scope is frozen: IAM changes after the start leave the stored items as they were...
    await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'ops' }));
    await iam.send(new RemoveUserFromGroupCommand({ UserName: 'bob', GroupName: 'ops' }));
    expect(await store.items(campaign.id)).toEqual(items);
    // ...while a new campaign sees them, so the change was real.
    const next = await startCampaign(ctx, store, { createdBy: 'cli:tester' });
    const nextLines = (await store.items(next.campaign.id)).map(line);
    expect(nextLines).toContain('alice group ops');
    expect(nextLines).not.toContain('bob group ops');
    expect(next.campaign.name).toMatch(/^Access review \d{4}-Q[1-4]$/);
  });

  it('checks every option before reading or writing anything', async () => {
    const ctx = testCtx(moto, { clock: fixedClock(new Date('2027-01-10T12:00:00Z')) });
    const store = new MemoryReviewStore();
    const cases: [Parameters<typeof startCampaign>[2], string, RegExp][] = [
      [{ name: 'x'.repeat(81), createdBy: 'c' }, '--name', /81 characters.*1 to 80/],
      [{ name: ' \u0007 ', createdBy: 'c' }, '--name', /is empty/],
      [{ dueDays: 0, createdBy: 'c' }, '--due', /0 days is out of range/],
      [{ dueDays: 366, createdBy: 'c' }, '--due', /366 days/],
      [{ dueAt: new Date('2027-01-01T00:00:00Z'), createdBy: 'c' }, '--due', /in the past/],
      [{ dueAt: new Date('2027-01-10T20:00:00Z'), createdBy: 'c' }, '--due', /0\.3 days away/],
      [
        { dueAt: new Date('2027-01-20T00:00:00Z'), dueDays: 3, createdBy: 'c' },
        '--due',
        /not both|one of them/,
      ],
      [{ accounts: ['nope'], createdBy: 'c' }, '--accounts', /unknown account "nope"/],
    ];
    for (const [opts, field, message] of cases) {
      const err = await startCampaign(ctx, store, opts).catch((e: unknown) => e);
      expect(err, `${field} ${JSON.stringify(opts)}`).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as Error).message).toMatch(message);
    }
    expect(await store.listCampaigns()).toEqual([]);
    expect(ctx.commands).toEqual([]);
    expect(ctx.sink.events).toEqual([]);
  });
});

describe('parseDue', () => {
  const now = new Date('2027-01-10T12:00:00Z');
  it('reads days, weeks and dates (a bare date is the end of that UTC day)', () => {
    expect(parseDue('14d', now).toISOString()).toBe('2027-01-24T12:00:00.000Z');
    expect(parseDue(' 2w ', now).toISOString()).toBe('2027-01-24T12:00:00.000Z');
    expect(parseDue('2027-01-15', now).toISOString()).toBe('2027-01-15T23:59:59.000Z');
    expect(parseDue('2027-01-15T09:00:00Z', now).toISOString()).toBe('2027-01-15T09:00:00.000Z');
  });
  it('refuses anything else with a fix', () => {
    for (const bad of ['14', '3h', 'soon', '2027-02-30', '']) {
      const err = (() => {
        try {
          parseDue(bad, now);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('--due');
      expect((err as Error).message).toMatch(/14d, 2w.*2027-01-15/);
    }
  });
});
