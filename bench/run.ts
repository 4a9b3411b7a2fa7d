/**
 * `npm run bench [name…]`: runs every bench/<name>.bench.ts (or only those named) one after another, prints
 * each one's Markdown and rewrites its section of BENCHMARKS.md between `<!-- bench:NAME -->` markers, so
 * the file always holds the numbers of the last real run next to the command that produced them.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchModule {
  /** Returns the Markdown for BENCHMARKS.md: what was measured, the baseline, medians and ratios. */
  default: () => Promise<string>;
}

const here = dirname(fileURLToPath(import.meta.url));
// BENCH_MD writes elsewhere (a helper's HELPER-BENCHMARKS.md) without touching BENCHMARKS.md.
const mdPath = process.env.BENCH_MD ?? join(here, '..', 'BENCHMARKS.md');
const wanted = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

if (names.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}

function replaceSection(md: string, name: string, body: string): string {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  if (i >= 0 && j > i) return md.slice(0, i) + block + md.slice(j + end.length);
  return `${md.trimEnd()}\n\n${block}\n`;
}

for (const name of names) {
  console.log(`\n### bench: ${name}`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchModule;
  const md = await mod.default();
  console.log(md);
  let current = '';
  try {
    current = readFileSync(mdPath, 'utf8');
  } catch {
    current = '# Benchmarks\n\nEvery section is rewritten by `npm run bench` from its last run.\n';
  }
  writeFileSync(mdPath, replaceSection(current, name, md));
}
