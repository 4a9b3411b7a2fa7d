/**
 * Memory probe for the org bench (not part of `npm run bench`): `node --import tsx bench/org-mem.ts [runs]`
 * runs bench/org-scan.child.mjs (over dist/) with bench/mem-sampler.mjs preloaded, after one unmeasured
 * warm-up run, and prints per run: wall time, max RSS, heap-used peak and the live heap after a forced GC.
 * ORG_MEM_NODE_FLAGS adds node flags to the child (e.g. `--trace-gc`). ORG_MEM_BASE=<dir> holding a
 * bench/org-scan.child.mjs over an older build's dist/ interleaves its runs with this tree's, so a before/after
 * comparison sees the same load on a shared machine.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSyntheticIam } from '../test/helpers/synthetic-iam.js';

const here = dirname(fileURLToPath(import.meta.url));
const ACCOUNTS = Number(process.env.ORG_BENCH_ACCOUNTS ?? 1000);
const USERS = Number(process.env.ORG_BENCH_USERS ?? 1000);
const CONCURRENCY = Number(process.env.ORG_BENCH_CONCURRENCY ?? 24);
const RUNS = Number(process.argv[2] ?? 5);
const MODE = process.env.ORG_MEM_MODE ?? 'org';
const flags = (process.env.ORG_MEM_NODE_FLAGS ?? '').split(' ').filter(Boolean);

interface Mem {
  maxRss: number;
  peak_heapUsed: number;
  peak_heapTotal: number;
  peak_external: number;
  live_heap: number;
  peakAt: number;
}

function child(
  url: string,
  childPath = join(here, 'org-scan.child.mjs'),
): Promise<{ mem: Mem; totalMs: number; findings: number }> {
  const args = [
    '--expose-gc',
    ...flags,
    '--import',
    join(here, 'mem-sampler.mjs'),
    childPath,
    url,
    String(ACCOUNTS),
    String(CONCURRENCY),
    MODE,
  ];
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    c.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err.slice(-2000)}`));
      const memLine = err.split('\n').find((l) => l.startsWith('MEM ')) ?? 'MEM {}';
      const trace = err.split('\n').find((l) => l.startsWith('TRACE '));
      if (trace) console.log(trace);
      const gc = out.split('\n').filter((l) => l.includes('Mark-Compact') || l.includes('Scavenge'));
      if (gc.length && process.env.ORG_MEM_SHOW_GC) console.log(gc.join('\n'));
      const r = JSON.parse(
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .pop() ?? '{}',
      );
      resolve({ mem: JSON.parse(memLine.slice(4)), totalMs: r.totalMs, findings: r.findings });
    });
  });
}

const synth = await startSyntheticIam({ accounts: ACCOUNTS, usersPerAccount: USERS, latencyMs: 50 });
const base = process.env.ORG_MEM_BASE;
// ORG_MEM_TREES=name=dir,name=dir: several builds (each dir with bench/org-scan.child.mjs and dist/).
const listed = (process.env.ORG_MEM_TREES ?? '')
  .split(',')
  .filter(Boolean)
  .map((t) => t.split('=') as [string, string])
  .map(([name, dir]): [string, string] => [name, join(dir, 'bench', 'org-scan.child.mjs')]);
const trees: [string, string][] = listed.length
  ? listed
  : [
      ...(base ? ([['before', join(base, 'bench', 'org-scan.child.mjs')]] as [string, string][]) : []),
      ['this tree', join(here, 'org-scan.child.mjs')],
    ];
synth.reset();
await child(synth.url); // warm-up: fills the endpoint's response cache
type Row = Awaited<ReturnType<typeof child>>;
const rows = new Map<string, Row[]>(trees.map(([name]) => [name, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, path] of trees) {
    synth.reset();
    const r = await child(synth.url, path);
    rows.get(name)?.push(r);
    const m = r.mem;
    console.log(
      `${name} run ${i + 1}: ${(r.totalMs / 1000).toFixed(1)} s, maxRSS ${m.maxRss.toFixed(0)} MB (at ${(m.peakAt / 1000).toFixed(1)} s), heapUsed peak ${m.peak_heapUsed.toFixed(0)}, heapTotal peak ${m.peak_heapTotal.toFixed(0)}, external peak ${m.peak_external.toFixed(0)}, live heap ${m.live_heap.toFixed(0)} MB, findings ${r.findings}`,
    );
  }
}
await synth.stop();
for (const [name, rs] of rows) {
  const med = (f: (x: Row) => number) => {
    const xs = rs.map(f).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] as number;
  };
  console.log(
    `${name} median of ${rs.length}: ${(med((r) => r.totalMs) / 1000).toFixed(1)} s, maxRSS ${med((r) => r.mem.maxRss).toFixed(0)} MB (worst ${Math.max(...rs.map((r) => r.mem.maxRss)).toFixed(0)}), heapUsed peak ${med((r) => r.mem.peak_heapUsed).toFixed(0)} (worst ${Math.max(...rs.map((r) => r.mem.peak_heapUsed)).toFixed(0)}), external peak ${med((r) => r.mem.peak_external).toFixed(0)}, live heap ${med((r) => r.mem.live_heap).toFixed(0)} MB`,
  );
}
