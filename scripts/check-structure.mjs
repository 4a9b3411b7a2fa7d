// The structural rules of `npm test`: dependency-cruiser's rules over src/ (.dependency-cruiser.cjs), and
// no import cycle between src/'s folders either (core → store → core, say), which file-level
// cycle detection alone does not catch. Exits 1 with every violation named.
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs');
const { output } = await cruise(['src'], {
  ...config.options,
  ruleSet: { forbidden: config.forbidden },
  validate: true,
});

const problems = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

/** src/core/users/create.ts → core; src/flows/requests/x.ts → flows; src/app.ts → (root). */
function folder(path) {
  const parts = path.replace(/^src\//, '').split('/');
  return parts.length === 1 ? '(root)' : parts[0];
}
const edges = new Map();
for (const m of output.modules) {
  if (!m.source.startsWith('src/')) continue;
  for (const d of m.dependencies) {
    if (!d.resolved.startsWith('src/') || d.dependencyTypes.every((t) => t === 'type-only')) continue;
    const [a, b] = [folder(m.source), folder(d.resolved)];
    // The root files are the wiring (app, main) and the shared leaves (config, errors, logger, deps).
    if (a === b || a === '(root)' || b === '(root)') continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, `${m.source} → ${d.resolved}`);
  }
}
const seen = new Set();
function visit(node, stack) {
  const at = stack.indexOf(node);
  if (at >= 0) {
    const cycle = [...stack.slice(at), node];
    const key = [...cycle].sort().join(',');
    if (!seen.has(key)) {
      seen.add(key);
      const why = cycle.slice(0, -1).map((n, i) => edges.get(n).get(cycle[i + 1]));
      problems.push(`folder-cycle: ${cycle.join(' → ')} (${why.join('; ')})`);
    }
    return;
  }
  for (const next of edges.get(node)?.keys() ?? []) visit(next, [...stack, node]);
}
for (const node of edges.keys()) visit(node, []);

if (problems.length > 0) {
  process.stderr.write(
    `structure: ${problems.length} violation(s)\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `structure: ${output.summary.totalCruised} modules, no cycles, every layer rule holds\n`,
);
