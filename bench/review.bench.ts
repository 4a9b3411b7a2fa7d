/**
 * Access reviews at the issue's scale. `npm run bench -- review`: 20 accounts × 250 users (5,000 people) with
 * about 10 entitlements each against the synthetic endpoint (50 ms per call), into SQLite (a temp file, WAL,
 * synchronous=FULL as the bot runs it) and Redis (REDIS_URL, default 127.0.0.1:6379, a random prefix, removed
 * after). Each run is its own child process over dist/ (bench/review-campaign.child.mjs):
 * - the start: startCampaign end to end (scan + frozen snapshot + createCampaign). Target < 60 s;
 * - decisions per second through the store after a launch-like assignReviewers, IN_FLIGHT at a time;
 * - idempotence: a second decide of every decided item from a second connection, and fresh items clicked
 *   twice at once, one click per connection, must record one decision each.
 * Medians of RUNS runs per store, the stores interleaved so the shared machine's load falls on both alike.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startSyntheticIam } from '../test/helpers/synthetic-iam.js';

const here = dirname(fileURLToPath(import.meta.url));
const LATENCY = 50;
const ACCOUNTS = Number(process.env.REVIEW_BENCH_ACCOUNTS ?? 20);
const USERS = Number(process.env.REVIEW_BENCH_USERS ?? 250);
/** With the console, active keys and 1–2 groups the synthetic users hold ≈ 2.8 entitlements; these make ≈ 10. */
const MANAGED = 4;
const INLINE = 3;
const DECISIONS = Number(process.env.REVIEW_BENCH_DECISIONS ?? 10_000);
const IN_FLIGHT = 16;
const REVIEWERS = 50;
const RACE = 1_000;
const RUNS = Number(process.env.REVIEW_BENCH_RUNS ?? 3);
const TARGET_S = 60;
/** The scans' last recorded medians in BENCHMARKS.md (findings only, no per-user snapshots), for scale. */
const DETECT_SCAN = { label: 'detect: 200 accounts × 5,000 users', users: 1_000_000, seconds: 16.4 };
const ORG_SCAN = {
  label: 'org: 1,000 accounts × 1,000 users, accounts listed',
  users: 1_000_000,
  seconds: 22.6,
};

interface ChildResult {
  kind: 'sqlite' | 'redis';
  startMs: number;
  writeMs: number;
  startRssKb: number;
  people: number;
  items: number;
  byKind: Record<string, number>;
  unused: number;
  accountsOk: number;
  accountsFailed: number;
  readMs: number;
  assigned: number;
  assignMs: number;
  decisions: number;
  decideMs: number;
  firstOk: number;
  firstRefused: string[];
  againMs: number;
  againReasons: Record<string, number>;
  unchanged: number;
  race: number;
  raceOneOk: number;
  raceLoserDecided: number;
  raceWinnerKept: number;
  decidedCount: number;
  totalCount: number;
  progressMs: number;
  reviewers: number;
  bytes: number;
  maxRssKb: number;
}

function runChild(endpoint: string, kind: 'sqlite' | 'redis'): Promise<ChildResult> {
  const args = [
    join(here, 'review-campaign.child.mjs'),
    endpoint,
    String(ACCOUNTS),
    kind,
    String(DECISIONS),
    String(IN_FLIGHT),
    String(REVIEWERS),
    String(RACE),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`review child (${kind}) exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildResult);
    });
  });
}

/** Every way a run can be wrong, as text; empty when the run is sound. */
function problems(r: ChildResult): string[] {
  const p: string[] = [];
  if (r.accountsOk !== ACCOUNTS) p.push(`${r.accountsFailed} accounts failed`);
  if (r.people !== ACCOUNTS * USERS) p.push(`${r.people} people, not ${ACCOUNTS * USERS}`);
  if (r.assigned !== r.items) p.push(`assigned ${r.assigned} of ${r.items}`);
  if (r.firstOk !== r.decisions) p.push(`first decide: ${r.firstOk}/${r.decisions} ok (${r.firstRefused})`);
  if ((r.againReasons.decided ?? 0) !== r.decisions)
    p.push(`second decide: ${JSON.stringify(r.againReasons)}`);
  if (r.unchanged !== r.decisions) p.push(`second decide changed ${r.decisions - r.unchanged} decisions`);
  if (r.raceOneOk !== r.race || r.raceLoserDecided !== r.race || r.raceWinnerKept !== r.race)
    p.push(
      `race: one ok ${r.raceOneOk}, loser decided ${r.raceLoserDecided}, winner kept ${r.raceWinnerKept}`,
    );
  if (r.decidedCount !== r.decisions + r.race)
    p.push(`progress counts ${r.decidedCount} decided, not ${r.decisions + r.race}`);
  if (r.totalCount !== r.items) p.push(`progress counts ${r.totalCount} items, not ${r.items}`);
  return p;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const s = (ms: number) => (ms / 1000).toFixed(1);
const n = (x: number) => Math.round(x).toLocaleString('en');

export default async function reviewBench(): Promise<string> {
  const synth = await startSyntheticIam({
    accounts: ACCOUNTS,
    usersPerAccount: USERS,
    latencyMs: LATENCY,
    managedPoliciesPerUser: MANAGED,
    inlinePoliciesPerUser: INLINE,
  });
  const t0 = performance.now();
  const runs: Record<'sqlite' | 'redis', ChildResult[]> = { sqlite: [], redis: [] };
  const calls: Record<string, number>[] = [];
  let iam = 0;
  // One unmeasured start fills the endpoint's response cache (as in bench/org), so every run sees the same server.
  synth.reset();
  await runChild(synth.url, 'redis');
  for (let i = 0; i < RUNS; i++)
    for (const kind of ['sqlite', 'redis'] as const) {
      synth.reset();
      const r = await runChild(synth.url, kind);
      const bad = problems(r);
      if (bad.length) throw new Error(`${kind} run ${i + 1}: ${bad.join('; ')}`);
      runs[kind].push(r);
      calls.push({ ...synth.calls });
      iam = synth.totalIamCalls();
    }
  await synth.stop();
  const benchMs = performance.now() - t0;

  const m = (kind: 'sqlite' | 'redis', f: (r: ChildResult) => number) => median(runs[kind].map(f));
  const all = (kind: 'sqlite' | 'redis', f: (r: ChildResult) => number, d = 1) =>
    runs[kind].map((r) => (f(r) / 1000).toFixed(d)).join(', ');
  const rate = (r: ChildResult) => r.decisions / (r.decideMs / 1000);
  const r0 = runs.sqlite[0] as ChildResult;
  const people = r0.people;
  const startS = { sqlite: m('sqlite', (r) => r.startMs), redis: m('redis', (r) => r.startMs) };
  const verdict = (ms: number) => (ms < TARGET_S * 1000 ? 'met' : '**missed**');
  const row = (label: string, f: (r: ChildResult) => number, unit: (x: number) => string) =>
    `| ${label} | ${unit(m('sqlite', f))} | ${unit(m('redis', f))} |`;
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
  const perItemMs = (kind: 'sqlite' | 'redis') => startS[kind] / r0.items;
  const perUser = (x: { users: number; seconds: number }) => ((x.seconds / x.users) * 1e6).toFixed(0);

  return `## Access reviews: campaign start and decisions (\`npm run bench -- review\`)

\`BENCH_MD=… npm run bench -- review\` (or plain \`npm run bench -- review\`). Synthetic IAM/STS endpoint
(\`test/helpers/synthetic-iam.ts\`, **${LATENCY} ms per call**) serving ${ACCOUNTS} accounts × ${USERS} users
(**${n(people)} people**), each with its console password (≈ 70%), active access keys, 1–2 groups, and, for this
bench, ${MANAGED} attached managed and ${INLINE} inline policies: **${n(r0.items)} items** (${(r0.items / people).toFixed(1)} per person:
${Object.entries(r0.byKind)
  .filter(([, c]) => c > 0)
  .map(([k, c]) => `${k} ${n(c)}`)
  .join(', ')}; ${n(r0.unused)} unused beyond the thresholds).
Each run is its own child process over dist/ (\`bench/review-campaign.child.mjs\`), SQLite a fresh temp file
(WAL, synchronous=FULL, as the bot runs it), Redis 127.0.0.1:6379 under a random prefix removed after the run.
One unmeasured start first fills the endpoint's response cache; then ${RUNS} runs per store, interleaved. Medians;
run on ${new Date().toISOString().slice(0, 10)}. **No earlier baseline**: this is the feature's first measurement.

| ${n(people)} people × ${(r0.items / people).toFixed(1)} entitlements, ${ACCOUNTS} accounts | SQLite | Redis |
|---|---|---|
| **campaign start**: \`startCampaign\` end to end (scan + snapshot + createCampaign); runs ${all('sqlite', (r) => r.startMs)} / ${all('redis', (r) => r.startMs)} s | **${s(startS.sqlite)} s** | **${s(startS.redis)} s** |
| of which createCampaign (${n(r0.items)} items written) | ${s(m('sqlite', (r) => r.writeMs))} s | ${s(m('redis', (r) => r.writeMs))} s |
| target < ${TARGET_S} s | ${verdict(startS.sqlite)} | ${verdict(startS.redis)} |
| launch: read every item back (\`items\`) | ${s(m('sqlite', (r) => r.readMs))} s | ${s(m('redis', (r) => r.readMs))} s |
| launch: \`assignReviewers\` for every item (${REVIEWERS} reviewers) | ${s(m('sqlite', (r) => r.assignMs))} s | ${s(m('redis', (r) => r.assignMs))} s |
${row(`**decisions per second**: \`decide\` on ${n(r0.decisions)} items, ${IN_FLIGHT} in flight`, rate, (x) => `**${n(x)}/s**`)}
${row(
  'second `decide` of each, from a second connection (all refused)',
  (r) => r.decisions / (r.againMs / 1000),
  (x) => `${n(x)}/s`,
)}
| \`progress()\` per reviewer over the whole campaign (what the channel message reads at each update) | ${(m('sqlite', (r) => r.progressMs)).toFixed(0)} ms | ${(m('redis', (r) => r.progressMs)).toFixed(0)} ms |
| peak RSS of the child (worst run) | ${n(Math.max(...runs.sqlite.map((r) => r.maxRssKb)) / 1024)} MB | ${n(Math.max(...runs.redis.map((r) => r.maxRssKb)) / 1024)} MB |
| store size after the run | ${n(r0.bytes / 1e6)} MB (database + WAL) | ${n((runs.redis[0] as ChildResult).bytes / 1e6)} MB (growth of Redis used_memory over the run) |

**Idempotence, checked in every run (${RUNS * 2} runs), all passed** (the bench fails otherwise):
- a second \`decide\` of each of the ${n(r0.decisions)} decided items, from a second store instance on the same data
  (a second connection, as a second replica has), answered \`decided\` ${n(r0.decisions)}/${n(r0.decisions)} times and left the first decision as it was;
- ${n(RACE)} fresh items each clicked twice at once, one click per instance: exactly one \`ok\` and one \`decided\` per item,
  and the stored decision is the winner's (${n(r0.raceOneOk)}/${n(RACE)});
- \`progress()\` then counts ${n(r0.decidedCount)} decided items = ${n(r0.decisions)} + ${n(RACE)}, each decided once, of ${n(r0.totalCount)}.

- Per item, the start costs ${(perItemMs('sqlite') * 1000).toFixed(0)} µs (SQLite) / ${(perItemMs('redis') * 1000).toFixed(0)} µs (Redis): ${((startS.sqlite / people) * 1000).toFixed(0)} / ${((startS.redis / people) * 1000).toFixed(0)} µs per person.
  For scale only, the scans' last recorded medians (findings, no snapshot, nothing written) are ${perUser(DETECT_SCAN)} µs per user
  (${DETECT_SCAN.label}, ${DETECT_SCAN.seconds} s) and ${perUser(ORG_SCAN)} µs per user (${ORG_SCAN.label}, ${ORG_SCAN.seconds} s). They are
  not like for like: at ${ACCOUNTS} accounts a scan is bound by each account's fixed ≈ 10 latencies (AssumeRole,
  GenerateCredentialReport twice with the 250 ms backoff between, GetCredentialReport, one GetAccountAuthorizationDetails
  page; ≈ 0.5 s at ${LATENCY} ms) at the default inactivity.concurrency (8), not by its users, and the campaign then
  builds and writes ≈ ${(r0.items / people).toFixed(0)} items per person.
- IAM calls per run: ${n(iam)} (${Object.entries(calls[0] ?? {})
    .map(([a, c]) => `${a} ${c}`)
    .join(', ')}).
- SQLite commits each decision in its own IMMEDIATE transaction with an fsync (synchronous=FULL); Redis runs one
  Lua script per decision. Reviewers click one at a time, so either rate is far above what a campaign needs.
- Machine: ${cpus().length} cores shared with other sessions' runs; load average at the end ${load}. Whole bench ${s(benchMs)} s.`;
}
