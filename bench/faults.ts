/**
 * `npm run faults [-- --repeat N] [-- --quick]`: runs the fault suite (test/faults/, the same vitest files
 * `npm test` runs, here over the full scenario matrix) and prints per fault kind: faults injected, runs that
 * survived (a clear end state, told to the user, IAM and the store agreeing), requests that still completed,
 * orphans left in IAM, approvals lost and grants lost. It rewrites the `## Faults` section of RELIABILITY.md
 * with the table, the command and the date. Exit code: vitest's (a failed assertion fails the run).
 *
 * Counts, not timings: a separate script rather than a bench, so `npm run bench` stays about speed and the
 * figures come from the very assertions `npm test` runs (they cannot drift apart).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from '../test/faults/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Math.max(1, Number(args[repeatAt + 1]) || 1) : 1;
const quick = args.includes('--quick');

const dir = mkdtempSync(join(tmpdir(), 'faults-'));
const out = join(dir, 'figures.jsonl');
const run = spawnSync('npx', ['vitest', 'run', 'test/faults'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    FAULTS_FIGURES: out,
    FAULTS_REPEAT: String(repeat),
    ...(quick ? {} : { FAULTS_FULL: '1' }),
  },
});
let lines: string[] = [];
try {
  lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
} catch {
  // no scenario ran
}
rmSync(dir, { recursive: true, force: true });
const figures = lines.map((l) => JSON.parse(l) as Figure);

const kinds = [...new Set(figures.map((f) => f.kind))];
const sum = (fs: Figure[], k: keyof Figure) => fs.reduce((n, f) => n + (f[k] as number), 0);
const header =
  '| fault | scenarios | faults injected | survived | completed anyway | orphans left | approvals lost | grants lost |\n|---|---:|---:|---:|---:|---:|---:|---:|';
const row = (name: string, fs: Figure[]) =>
  `| ${name} | ${fs.length} | ${sum(fs, 'injected')} | ${sum(fs, 'survived')}/${fs.length} | ${sum(fs, 'completed')} | ${sum(fs, 'orphans')} | ${sum(fs, 'approvalsLost')} | ${sum(fs, 'grantsLost')} |`;
const table = [
  header,
  ...kinds.map((k) =>
    row(
      k,
      figures.filter((f) => f.kind === k),
    ),
  ),
  row('**all**', figures),
].join('\n');
const failing = figures.filter((f) => !f.survived || f.orphans || f.approvalsLost || f.grantsLost);
const notes = failing.length
  ? `\n\nNot survived:\n${failing
      .map(
        (f) =>
          `- ${f.kind}: ${f.scenario} (orphans ${f.orphans}, approvals lost ${f.approvalsLost}, grants lost ${f.grantsLost})`,
      )
      .join('\n')}`
  : '';
const date = new Date().toISOString().slice(0, 10);
const command = `npm run faults${repeat > 1 ? ` -- --repeat ${repeat}` : ''}${quick ? ' -- --quick' : ''}`;
const md = `Last run: ${date}, \`${command}\` (${figures.length} scenario runs, vitest exit ${run.status}).\n\n${table}${notes}`;
console.log(`\n${md}`);

if (!quick) {
  const path = join(root, 'RELIABILITY.md');
  let doc = '';
  try {
    doc = readFileSync(path, 'utf8');
  } catch {
    doc = '# Reliability\n\n## Faults\n\n<!-- faults -->\n<!-- /faults -->\n';
  }
  const start = '<!-- faults -->';
  const end = '<!-- /faults -->';
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const block = `${start}\n${md}\n${end}`;
  doc =
    i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, doc);
}
process.exit(run.status ?? 1);
