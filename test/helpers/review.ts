import { WebClient } from '@slack/web-api';
import type { Config } from '../../src/config.js';
import { Auditor } from '../../src/core/audit.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import type { CoreOps } from '../../src/core/index.js';
import { reviewReport } from '../../src/core/review/report.js';
import type { ReviewCampaign, ReviewItem, ReviewPrincipal } from '../../src/core/review/types.js';
import type { Deps } from '../../src/deps.js';
import { silentLogger } from '../../src/logger.js';
import { Roles } from '../../src/slack/roles.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { testConfig } from './core.js';
import type { FakeSlack } from './fake-slack.js';

/** Deps for the access-review flows: a memory store (or the one given), the fake Slack, core's pure report. */

export const T0 = new Date('2027-01-04T09:00:00Z');

export function reviewConfig(
  review: Partial<NonNullable<Config['review']>> = {},
  over: Partial<Config> = {},
) {
  const base = testConfig();
  return testConfig({
    slack: { ...base.slack, approvals_channel: 'C0APPROVALS', admins: ['UADMIN'], approvers: ['UAPPROVER'] },
    review: {
      fallback_reviewers: ['UFB1', 'UFB2'],
      channel: 'C0REVIEW',
      due_days: 14,
      reminder_days: 3,
      escalation_days: 3,
      revoke_without_approval: false,
      ...review,
    },
    ...over,
  });
}

export function reviewDeps(
  fake: FakeSlack,
  opts: { config?: Config; store?: Store; start?: CoreOps['reviews']['start'] } = {},
) {
  const clock = fixedClock(T0);
  const store = opts.store ?? new MemoryStore({ clock });
  const config = opts.config ?? reviewConfig();
  const logger = silentLogger();
  const auditor = new Auditor(store.audit, clock, logger);
  const client = new WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  const core = {
    audit: (e: Parameters<CoreOps['audit']>[0]) => auditor.record(e),
    reviews: {
      start:
        opts.start ??
        (async () => {
          throw new Error('start not stubbed');
        }),
      report: (c: ReviewCampaign, items: readonly ReviewItem[]) => reviewReport(c, items),
    },
  } as unknown as CoreOps;
  const deps = {
    config,
    store,
    clock,
    logger,
    core,
    client,
    roles: new Roles(config, client, clock, logger),
  } as unknown as Deps;
  return { deps, store, clock };
}

export interface PersonSpec {
  name: string;
  email?: string;
  managerEmail?: string;
  slackUserId?: string;
  /** Entitlements (groups) this person holds: one item each. */
  groups?: string[];
}

/** A `created` campaign with one item per group of each person, written to the store. */
export async function seedCampaign(
  store: Store,
  people: readonly PersonSpec[],
  opts: { id?: string; dueAt?: Date; createdAt?: Date } = {},
): Promise<{ campaign: ReviewCampaign; items: ReviewItem[] }> {
  const id = opts.id ?? 'rv-0000abcd';
  const items: ReviewItem[] = [];
  for (const p of people) {
    const principal: ReviewPrincipal = {
      kind: 'iam-user',
      name: p.name,
      ...(p.email ? { email: p.email } : {}),
      ...(p.managerEmail ? { managerEmail: p.managerEmail } : {}),
      ...(p.slackUserId ? { slackUserId: p.slackUserId } : {}),
    };
    for (const g of p.groups ?? ['Developers']) {
      const seq = items.length + 1;
      items.push({
        id: `${id}.${seq}`,
        campaignId: id,
        seq,
        account: '123456789012',
        accountName: 'prod',
        principal,
        entitlement: { kind: 'group', name: g },
        evidence: { unused: false, lastUsed: '2026-12-01T00:00:00Z', lastUsedOf: 'any credential' },
      });
    }
  }
  const createdAt = opts.createdAt ?? T0;
  const campaign: ReviewCampaign = {
    id,
    name: 'Access review 2027-Q1',
    status: 'created',
    createdAt: createdAt.toISOString(),
    createdBy: 'cli:ops',
    dueAt: (opts.dueAt ?? new Date(createdAt.getTime() + 14 * DAY_MS)).toISOString(),
    accounts: [{ id: '123456789012', name: 'prod', ok: true }],
    thresholds: { console_days: 90, access_key_days: 90 },
    itemCount: items.length,
  };
  await store.reviews.createCampaign(campaign, items);
  return { campaign, items };
}
