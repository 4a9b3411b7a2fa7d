// npm's `prepare` (run by `npm ci`, `npm install` and `npm pack` in this folder). A clone with its dev
// dependencies builds dist/ here, so `npm ci && npm start` works and `npm pack` ships a built dist/. A
// production install (`npm ci --omit=dev` in a tree whose dist/ was built before, as the container's runtime
// stage does) has no TypeScript and must not try to build, or it fails with "tsc: not found". A tree with
// neither cannot run: say what is missing and what to run, rather than let `npm start` crash later on a
// missing dist/main.js.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function typescriptResolves() {
  try {
    createRequire(join(root, 'package.json')).resolve('typescript');
    return true;
  } catch {
    return false;
  }
}

const typescript = typescriptResolves();
const sources = existsSync(join(root, 'src', 'main.ts'));
const built = existsSync(join(root, 'dist', 'main.js'));

function note(text) {
  process.stdout.write(`prepare: ${text}\n`);
}

if (typescript && sources) {
  // How dist/ is made stays in package.json's `build` script alone. npm_execpath is the npm running this
  // lifecycle script, so the build runs under the same npm and node.
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.error) {
    process.stderr.write(`prepare: could not run npm run build: ${result.error.message}\n`);
    process.exit(1);
  }
  process.exit(result.status ?? 1);
} else if (built) {
  note(
    `${typescript ? 'no sources (src/) here' : 'TypeScript is not installed (a production install)'}: using the dist/ already built`,
  );
} else if (typescript) {
  // The container's build stage installs dependencies before it copies the sources in, so that the layer
  // with the native build is reused across source changes; it runs `npm run build` itself afterwards.
  note('no sources (src/) yet: nothing to build; run `npm run build` once they are here');
} else {
  process.stderr.write(
    [
      'prepare: this tree cannot run: dist/main.js is not built, and TypeScript (a dev dependency) is not',
      'installed to build it.',
      '  From a clone: run `npm ci` (with dev dependencies); it builds dist/.',
      '  For a production install: build first (`npm ci && npm run build`), then run `npm ci --omit=dev`',
      '  in a tree that keeps that dist/ (as the Dockerfile does).',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
