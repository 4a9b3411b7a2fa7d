/**
 * One access-review campaign against the synthetic endpoint, into one store, in its own process (plain JS over
 * dist/; `npm run bench` builds first). Prints one JSON line.
 * 1. startCampaign end to end (scan with per-user snapshots + buildSnapshot + createCampaign), timed whole,
 *    with createCampaign timed on its own;
 * 2. launch as the bot will: created → open, then assignReviewers for every item (REVIEWERS reviewers);
 * 3. `decide` on DECISIONS items (spread over the campaign), IN_FLIGHT at a time, each by its reviewer;
 * 4. idempotence: a second decide of every decided item from a second store instance (a second connection,
 *    as a second replica has) must answer `decided`; RACE fresh items each decided twice at once (one per
 *    connection, a double click across replicas) must record exactly one; progress() must count exactly the
 *    items decided once.
 * argv: <endpoint> <accounts> <sqlite|redis> <decisions> <inFlight> <reviewers> <race>
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseEnv, parseFileConfig } from '../dist/config.js';
import { Auditor, MemoryAuditSink } from '../dist/core/audit.js';
import { AccountClients } from '../dist/core/aws/accounts.js';
import { systemClock } from '../dist/core/clock.js';
import { startCampaign } from '../dist/core/review/campaign.js';
import { silentLogger } from '../dist/logger.js';
import { RedisStore } from '../dist/store/redis.js';
import { SqliteStore } from '../dist/store/sqlite.js';

const [endpoint = '', accountsArg = '1', kind = 'sqlite', ...rest] = process.argv.slice(2);
const [decisionsArg = '10000', inFlightArg = '16', reviewersArg = '50', raceArg = '1000'] = rest;
const DECISIONS = Number(decisionsArg);
const IN_FLIGHT = Number(inFlightArg);
const REVIEWERS = Number(reviewersArg);
const RACE = Number(raceArg);

// Same ids as accountIdFor() in test/helpers/synthetic-iam.ts.
const accounts = Array.from({ length: Number(accountsArg) }, (_, i) => {
  const id = String(100_000_000_000 + i);
  return {
    id,
    name: `acct-${i}`,
    role_arn: `arn:aws:iam::${id}:role/aws-user-bot`,
    external_id: 'bench',
    region: 'us-east-1',
  };
});
// Default inactivity.concurrency (8): what `aws-user review start` runs with unless configured.
const file = parseFileConfig(
  { accounts, templates: {}, review: { fallback_reviewers: ['UFALLBACK01'] } },
  'bench',
);
const config = { ...file, source: 'bench', env: parseEnv({}) };
const clients = new AccountClients(config.accounts, {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCHHOME', secretAccessKey: 'bench' },
  maxAttempts: 3,
  homeAccountId: '123456789012',
});
const ctx = {
  config,
  clients,
  auditor: new Auditor(new MemoryAuditSink(), systemClock, silentLogger()),
  clock: systemClock,
  logger: silentLogger(),
};

/** Two instances on the same data: the bot's, and a second replica's (its own connection). */
async function openStores() {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-review-'));
    const path = join(dir, 'aws-user.db');
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    return {
      a,
      b,
      async cleanup() {
        await b.close();
        await a.close();
        const bytes = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
        rmSync(dir, { recursive: true, force: true });
        return bytes;
      },
    };
  }
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench:review:${randomBytes(4).toString('hex')}:`;
  const a = new RedisStore({ url, prefix });
  const b = new RedisStore({ url, prefix });
  await a.connect();
  await b.connect();
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await a.redis.info('memory'))?.[1] ?? 0);
  const before = await usedMemory();
  return {
    a,
    b,
    async cleanup() {
      // Whole-server figure: other clients of the same Redis show in it too.
      const bytes = (await usedMemory()) - before;
      let cursor = '0';
      do {
        const [next, keys] = await a.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
        cursor = next;
        if (keys.length) await a.redis.unlink(...keys);
      } while (cursor !== '0');
      await b.close();
      await a.close();
      return bytes;
    },
  };
}

/** Runs fn over xs with at most n in flight. */
async function pool(xs, n, fn) {
  const out = new Array(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const k = next++;
      out[k] = await fn(xs[k], k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
}

const stores = await openStores();
const reviews = stores.a.reviews;

// 1. start, with the store's write timed on its own
let writeMs = 0;
const timed = Object.create(reviews);
timed.createCampaign = async (c, items) => {
  const t = performance.now();
  await reviews.createCampaign(c, items);
  writeMs = performance.now() - t;
};
const t0 = performance.now();
const { campaign, summary } = await startCampaign(ctx, timed, { createdBy: 'cli:bench' });
const startMs = performance.now() - t0;
const startRssKb = process.resourceUsage().maxRSS;
clients.destroy();

// 2. launch: every person's items to one of REVIEWERS managers (by person, as the Manager tag would)
let t = performance.now();
if (
  !(await reviews.transitionCampaign(campaign.id, 'created', 'open', {
    launchedAt: new Date().toISOString(),
  }))
)
  throw new Error('campaign did not open');
const items = await reviews.items(campaign.id);
const readMs = performance.now() - t;
const reviewerOf = (i) => {
  let h = 0;
  for (const ch of `${i.account}/${i.principal.name}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `UREV${String(h % REVIEWERS).padStart(5, '0')}`;
};
t = performance.now();
const assigned = await reviews.assignReviewers(
  items.map((i) => ({ itemId: i.id, reviewer: reviewerOf(i), source: 'manager' })),
);
const assignMs = performance.now() - t;

// 3. decisions, spread over the campaign (every k-th item), then the race set from the items between
const step = Math.max(1, Math.floor(items.length / DECISIONS));
const sample = items.filter((_, k) => k % step === 0).slice(0, DECISIONS);
const decision = (i, k, comment) => ({
  outcome: k % 10 === 0 ? 'revoke' : 'keep',
  by: reviewerOf(i),
  at: new Date().toISOString(),
  ...(comment ? { comment } : {}),
});
t = performance.now();
const first = await pool(sample, IN_FLIGHT, (i, k) => reviews.decide(i.id, decision(i, k)));
const decideMs = performance.now() - t;
const firstOk = first.filter((r) => r.ok).length;
const firstRefused = first.filter((r) => !r.ok).map((r) => r.reason);

// 4. idempotence: every decided item decided again from the second instance
t = performance.now();
const again = await pool(sample, IN_FLIGHT, (i, k) =>
  stores.b.reviews.decide(i.id, decision(i, k + 1, 'again')),
);
const againMs = performance.now() - t;
const againReasons = {};
for (const r of again) {
  const key = r.ok ? 'ok' : r.reason;
  againReasons[key] = (againReasons[key] ?? 0) + 1;
}
const unchanged = again.filter(
  (r, k) =>
    !r.ok && r.item?.decision?.comment === undefined && r.item?.decision?.by === first[k].item?.decision?.by,
).length;

// … and fresh items clicked twice at once, one click per instance
const sampled = new Set(sample.map((i) => i.id));
const fresh = items
  .filter((i) => !sampled.has(i.id))
  .filter((_, k) => k % 3 === 0)
  .slice(0, RACE);
const raced = await pool(fresh, IN_FLIGHT, (i, k) =>
  Promise.all([
    reviews.decide(i.id, decision(i, k, 'click A')),
    stores.b.reviews.decide(i.id, decision(i, k, 'click B')),
  ]),
);
const raceOneOk = raced.filter(([x, y]) => Number(x.ok) + Number(y.ok) === 1).length;
const raceLoserDecided = raced.filter(([x, y]) => (x.ok ? y : x).reason === 'decided').length;
// The stored decision is the winner's, not overwritten by the loser.
const stored = await pool(fresh, IN_FLIGHT, (i) => reviews.getItem(i.id));
const raceWinnerKept = stored.filter((s, k) => {
  const [x, y] = raced[k];
  return s?.decision?.comment === (x.ok ? x : y).item.decision.comment;
}).length;

// What the campaign's channel message reads each time it is updated.
t = performance.now();
const progress = await reviews.progress(campaign.id);
const progressMs = performance.now() - t;
const decidedCount = progress.reduce((s, p) => s + p.decided, 0);
const totalCount = progress.reduce((s, p) => s + p.total, 0);
const bytes = await stores.cleanup();

process.stdout.write(
  `${JSON.stringify({
    kind,
    campaignId: campaign.id,
    startMs,
    writeMs,
    startRssKb,
    people: summary.people,
    items: summary.items,
    byKind: summary.byKind,
    unused: summary.unused,
    accountsOk: summary.accounts.ok,
    accountsFailed: summary.accounts.failed,
    readMs,
    assigned,
    assignMs,
    decisions: sample.length,
    decideMs,
    firstOk,
    firstRefused: firstRefused.slice(0, 3),
    againMs,
    againReasons,
    unchanged,
    race: fresh.length,
    raceOneOk,
    raceLoserDecided,
    raceWinnerKept,
    decidedCount,
    totalCount,
    progressMs,
    reviewers: progress.length,
    bytes,
    maxRssKb: process.resourceUsage().maxRSS,
  })}\n`,
);
