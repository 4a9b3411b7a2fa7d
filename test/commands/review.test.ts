import type { SlashCommand } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { subcommands } from '../../src/commands/index.js';
import { parseReviewArgs, review, tokens } from '../../src/commands/review.js';
import type { StartCampaignOptions } from '../../src/core/index.js';
import { ValidationError } from '../../src/errors.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type PersonSpec, reviewConfig, reviewDeps, seedCampaign } from '../helpers/review.js';

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(() => {
  fake.reset();
  fake.users.clear();
  fake.addUser({ id: 'UBOSS', name: 'boss', email: 'boss@example.com' });
});

const PEOPLE: PersonSpec[] = [
  { name: 'alice', email: 'alice@example.com', managerEmail: 'boss@example.com', groups: ['Dev', 'Ops'] },
  { name: 'bob', slackUserId: 'UBOB' },
];

/** Runs the subcommand as the router would after its ack; returns every reply. */
async function run(deps: ReturnType<typeof reviewDeps>['deps'], text: string, user: string) {
  const args = text.split(/\s+/).filter(Boolean);
  const bad = review.check?.(args);
  if (bad) return { usage: bad, replies: [] as string[] };
  const replies: string[] = [];
  await review.handler(deps)({
    args,
    command: { user_id: user, text: `review ${text}` } as SlashCommand,
    reply: async (t) => {
      replies.push(t);
    },
  });
  return { usage: undefined, replies };
}

function starter(calls: StartCampaignOptions[]) {
  return async (s: Parameters<typeof seedCampaign>[0]['reviews'], opts: StartCampaignOptions) => {
    calls.push(opts);
    const { campaign } = await seedCampaign({ reviews: s } as never, PEOPLE);
    return {
      campaign,
      summary: {
        people: 2,
        items: 3,
        byKind: {} as never,
        unused: 0,
        accounts: { ok: 1, failed: 0, withProblems: 0 },
      },
    };
  };
}

describe('/aws-user review', () => {
  it('is registered, with its usage in help', () => {
    expect(subcommands.map((s) => s.name)).toContain('review');
    expect(review.usage).toMatch(/review start \[--name "Q1 2027"\] \[--due 14d\|2027-01-15\]/);
  });

  it('parses quoted names (straight or curly quotes), --due and --accounts', () => {
    expect(tokens('start --name “Q1 2027” --due 2w')).toEqual(['start', '--name', 'Q1 2027', '--due', '2w']);
    expect(parseReviewArgs(['start', '--name', '"Q1', '2027"', '--accounts', 'prod,,staging'])).toEqual({
      action: 'start',
      name: 'Q1 2027',
      accounts: ['prod', 'staging'],
    });
    expect(parseReviewArgs(['status'])).toEqual({ action: 'status' });
  });

  it('names the bad field and the fix before anything happens', async () => {
    const calls: StartCampaignOptions[] = [];
    const { deps } = reviewDeps(fake, { start: starter(calls) });
    for (const [text, field, fix] of [
      ['start --due soon', '--due', /14d/],
      ['start --due 2027-02-30', '--due', /2027-01-15/],
      ['start --due', '--due', /days from now/],
      ['start --nmae x', '--nmae', /--name, --due, --accounts/],
      ['start --accounts ,', '--accounts', /comma-separated/],
      ['', 'review', /review start/],
      ['stop', 'review', /review status/],
      ['status now', 'status', /on its own/],
    ] as const) {
      const out = await run(deps, text, 'UADMIN');
      expect(out.usage, text).toContain(`${field}:`);
      expect(out.usage, text).toMatch(fix);
    }
    expect(() => parseReviewArgs(['start', '--due', 'soon'])).toThrow(ValidationError);
    // In range only against the clock: checked in the handler, still before the scan.
    const out = await run(deps, 'start --due 400d', 'UADMIN');
    expect(out.replies).toEqual([expect.stringMatching(/^`--due`: .* 400\.0 days away \(give 1 to 365/)]);
    expect(calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('refuses a non-admin, and says so when reviews are not configured', async () => {
    const calls: StartCampaignOptions[] = [];
    const { deps } = reviewDeps(fake, { start: starter(calls) });
    expect((await run(deps, 'start', 'UAPPROVER')).replies).toEqual([
      'Only admins can start an access review.',
    ]);
    expect((await run(deps, 'status', 'URANDOM')).replies[0]).toMatch(/Only approvers and admins/);
    const off = reviewDeps(fake, {
      config: reviewConfig({}, { review: undefined }),
      start: starter(calls),
    }).deps;
    expect((await run(off, 'start', 'UADMIN')).replies[0]).toMatch(/not configured: add a `review` section/);
    expect(calls).toEqual([]);
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('an admin starts and launches a campaign, then sees it in status', async () => {
    const calls: StartCampaignOptions[] = [];
    const { deps, store } = reviewDeps(fake, { start: starter(calls) });
    const out = await run(deps, 'start --name "Q1 2027" --due 2027-01-20 --accounts prod', 'UADMIN');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'Q1 2027', accounts: ['prod'], createdBy: 'UADMIN' });
    expect(calls[0]?.dueAt?.toISOString()).toBe('2027-01-20T23:59:59.000Z');
    expect(out.replies[0]).toMatch(/^Scanning prod for the access review/);
    expect(out.replies[1]).toMatch(/started: 2 people, 3 items/);
    expect(out.replies[1]).toMatch(
      /Launched: 2 reviewer\(s\) DMed \(2 item\(s\) to managers, 1 to fallback reviewers\)/,
    );
    expect(out.replies[1]).toContain('<#C0REVIEW>');
    const [c] = await store.reviews.listCampaigns();
    expect(c?.status).toBe('open');

    const status = await run(deps, 'status', 'UAPPROVER');
    expect(status.replies[0]).toMatch(
      /rv-0000abcd`, open\): 0\/3 decided \(0%\).*2 reviewer\(s\) with open items/,
    );
  });
});
