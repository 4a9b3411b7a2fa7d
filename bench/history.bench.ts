/**
 * Finding history at the detection bench's scale. `npm run bench -- history`: the 121,920 findings of the
 * 200 × 5,000-user scan (bench/detect), recorded as the digest records them, on SQLite (a temp file, WAL,
 * synchronous=FULL as the bot runs it) and on Redis (REDIS_URL, default 127.0.0.1:6379, a random prefix):
 * - run 1: every finding new;
 * - run 2: the same accounts, 10% of the findings gone: each account's OPEN findings read (`open`, as the
 *   scan does per account), then the run recorded with those resolved.
 * The baseline is the scan itself (bench/detect: 16.4 s median for the same scale): the history's cost is
 * quoted as a ratio of it. Medians of 3; the machine is shared, so the ratio is the steadier number.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FindingHistory, RecordRunInput } from '../src/core/detect/history.js';
import type { Finding } from '../src/core/detect/inactivity.js';
import { RedisStore } from '../src/store/redis.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/types.js';

const ACCOUNTS = 200;
const FINDINGS = 121_920;
const SCAN_BASELINE_S = 16.4;
const RUNS = 3;

function findings(): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < FINDINGS; i++) {
    const account = String(100_000_000_000 + (i % ACCOUNTS));
    out.push({
      id: `fnd-${i.toString(16).padStart(16, '0')}`,
      accountId: account,
      accountName: `account-${i % ACCOUNTS}`,
      userName: `user-${i}`,
      userArn: `arn:aws:iam::${account}:user/user-${i}`,
      type: i % 2 ? 'CONSOLE_INACTIVE' : 'ACCESS_KEY_INACTIVE',
      severity: i % 2 ? 'HIGH' : 'MEDIUM',
      details: `Console password last used 2025-01-01 (${300 + (i % 60)} days ago; threshold 90)`,
      controls: ['CC6.1', 'CC6.2', 'CC6.3'],
      remediation: 'Confirm with the manager whether console access is still needed.',
      daysInactive: 300 + (i % 60),
      email: `user-${i}@example.com`,
      department: 'Engineering',
      manager: 'manager@example.com',
      createdDate: '2024-01-01T00:00:00+00:00',
      lastLogin: '2025-01-01T00:00:00+00:00',
      mfaEnabled: false,
      status: 'OPEN',
    });
  }
  return out;
}

function input(id: string, at: string, all: Finding[], resolved: string[]): RecordRunInput {
  return {
    run: {
      id,
      source: 'digest',
      at,
      settings: 'console_days=90,access_key_days=180',
      accounts: Array.from({ length: ACCOUNTS }, (_, a) => ({
        id: String(100_000_000_000 + a),
        name: `account-${a}`,
        ok: true,
        complete: true,
        users: 5000,
        counts: { HIGH: 0, MEDIUM: 0, LOW: 0 },
      })),
      counts: { HIGH: 0, MEDIUM: 0, LOW: 0 },
    },
    findings: all,
    resolved: resolved.map((r) => ({ id: r, resolution: { reason: 'user-deleted', text: 'deleted' } })),
  };
}

interface Sample {
  first: number;
  open: number;
  second: number;
  resolved: number;
}

async function once(history: FindingHistory, all: Finding[]): Promise<Sample> {
  let t = performance.now();
  await history.record(input('r1', '2026-12-01T09:00:00.000Z', all, []));
  const first = performance.now() - t;
  const kept = all.filter((_, i) => i % 10 !== 0);
  t = performance.now();
  const prior = await Promise.all(
    Array.from({ length: ACCOUNTS }, (_, a) => history.open(String(100_000_000_000 + a))),
  );
  const open = performance.now() - t;
  const keptIds = new Set(kept.map((f) => f.id));
  const gone = prior.flat().flatMap((r) => (keptIds.has(r.finding.id) ? [] : [r.finding.id]));
  t = performance.now();
  const out = await history.record(input('r2', '2026-12-02T09:00:00.000Z', kept, gone));
  const second = performance.now() - t;
  return { first, open, second, resolved: out.resolved.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export default async function bench(): Promise<string> {
  const all = findings();
  const rows: string[] = [];
  let dbBytes = 0;
  const kinds: [string, () => Promise<{ store: Store; cleanup: () => Promise<void> }>][] = [
    [
      'SQLite (file, WAL, synchronous=FULL)',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
        const path = join(dir, 'aws-user.db');
        const store = new SqliteStore({ path });
        return {
          store,
          cleanup: async () => {
            await store.close();
            dbBytes = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    ],
    [
      'Redis 7 (localhost)',
      async () => {
        const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
        const prefix = `bench:history:${randomBytes(4).toString('hex')}:`;
        const store = new RedisStore({ url, prefix });
        await store.connect();
        return {
          store,
          cleanup: async () => {
            const keys = await store.redis.keys(`${prefix}*`);
            for (let i = 0; i < keys.length; i += 1000) await store.redis.del(...keys.slice(i, i + 1000));
            await store.close();
          },
        };
      },
    ],
  ];
  for (const [name, open] of kinds) {
    const samples: Sample[] = [];
    for (let r = 0; r < RUNS; r++) {
      const { store, cleanup } = await open();
      samples.push(await once(store.history, all));
      await cleanup();
    }
    const first = median(samples.map((x) => x.first));
    const second = median(samples.map((x) => x.second));
    const openMs = median(samples.map((x) => x.open));
    const total = second + openMs;
    rows.push(
      `| ${name} | ${s(first)} | ${s(openMs)} | ${s(second)} | ${samples[0]?.resolved.toLocaleString('en')} | ${s(total)} | ${((total / 1000 / SCAN_BASELINE_S) * 100).toFixed(0)}% |`,
    );
  }
  return [
    '## history: recording the finding history at the detection scale',
    '',
    '`npm run bench -- history`. The 121,920 findings of the 200-account × 5,000-user scan (`detect`), recorded',
    'as the digest records them. Run 1: every finding new. Run 2: the same 200 accounts with 10% of the findings',
    'gone: each account\u2019s OPEN findings read (the scan does this per account, beside its AWS calls), then the',
    'run recorded with those 12,192 resolved. Medians of 3 fresh stores each. **Baseline: the scan itself**,',
    `${SCAN_BASELINE_S} s median for the same scale (the \`detect\` section, from its own last run, not re-run here:`,
    'it takes 3 minutes of both cores); the last column is what recording adds to a digest at that scale. The',
    'OPEN reads run beside each account\u2019s AWS calls in a real scan, so the recording is what shows in wall time.',
    '',
    '| store | run 1: record 121,920 new | run 2: read OPEN (200 accounts) | run 2: record | resolved | run 2 total | vs the scan |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `- SQLite file after both runs: ${(dbBytes / 1e6).toFixed(0)} MB (database + WAL).`,
    '- SQLite writes a run in transactions of 2,000 findings and yields between them (one fsync each), so the',
    '  bot\u2019s event loop and write lock are never held for the whole run; Redis in MULTI batches of 1,000.',
    `- Run on ${new Date().toISOString().slice(0, 10)}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (2 shared cores).`,
  ].join('\n');
}
