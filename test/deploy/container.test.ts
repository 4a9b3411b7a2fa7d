import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRODUCTION_INSTALL } from './production.js';

/**
 * Issue 12's container, checked without Docker (these machines can pull no base image): the Dockerfile's
 * instructions, read as data. What the image's runtime stage runs is proven by production-install.test.ts,
 * which makes the same install for real.
 */

interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY… */
  cmd: string;
  args: string;
}

interface Stage {
  image: string;
  name: string;
  steps: Instruction[];
}

/** Dockerfile → stages (global ARG defaults substituted into FROM), comments and line continuations handled. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    current += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      if (current.trim()) logical.push(current.trim());
      current = '';
    }
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    const cmd = (m?.[1] ?? '').toUpperCase();
    const rest = (m?.[2] ?? '').trim();
    if (cmd === 'ARG' && stages.length === 0) {
      const [key, value = ''] = rest.split('=');
      args[key as string] = value;
    } else if (cmd === 'FROM') {
      const [image = '', , name = ''] = rest
        .replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? '')
        .split(/\s+/);
      stages.push({ image, name, steps: [] });
    } else {
      stages.at(-1)?.steps.push({ cmd, args: rest });
    }
  }
  return { args, stages };
}

/** `--from=build --chown=x a b dest` → flags and paths. */
function copyParts(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v = ''] = (words.shift() as string).slice(2).split('=');
    flags[k as string] = v;
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}

/** `ENV A=1 B=2` (the key=value form) → entries. */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stage.steps.filter((i) => i.cmd === 'ENV')) {
    for (const pair of s.args.split(/\s+/)) {
      const [k, v = ''] = pair.split('=');
      env[k as string] = v.replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

const runs = (stage: Stage, command: string) =>
  stage.steps.some((s) => s.cmd === 'RUN' && s.args.split(/\s*&&\s*/).some((c) => c.trim() === command));
const stepIndex = (stage: Stage, pred: (s: Instruction) => boolean) => stage.steps.findIndex(pred);
const only = <T>(items: T[], what: string): T => {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0] as T;
};

const dockerfile = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const stages = dockerfile.stages;
const final = stages.at(-1) as Stage;
const finalEnv = envOf(final);

describe('Dockerfile', () => {
  it('has a build stage (npm ci with dev dependencies, npm run build) and a production-deps stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const build = only(
      stages.filter((s) => runs(s, 'npm run build')),
      'stage running npm run build',
    );
    expect(
      build.steps.some((s) => s.cmd === 'RUN' && /^npm ci(\s|$)/.test(s.args) && !/--omit/.test(s.args)),
    ).toBe(true);
    expect(build).not.toBe(final);
  });

  it('installs the runtime dependencies with exactly the production-install test command, on a built dist/', () => {
    const prod = only(
      stages.filter((s) => runs(s, PRODUCTION_INSTALL)),
      `stage running ${PRODUCTION_INSTALL}`,
    );
    expect(prod).not.toBe(final);
    // prepare skips the build only on a built tree: dist/ must be there before the install runs.
    const dist = stepIndex(
      prod,
      (s) => s.cmd === 'COPY' && copyParts(s.args).dest.replace(/\/$/, '') === 'dist',
    );
    const install = stepIndex(prod, (s) => s.cmd === 'RUN' && s.args.includes(PRODUCTION_INSTALL));
    expect(dist).toBeGreaterThanOrEqual(0);
    expect(dist).toBeLessThan(install);
    // The stage copies the script prepare runs; the files list ships it too.
    expect(prod.steps.some((s) => s.cmd === 'COPY' && s.args.includes('scripts/prepare.mjs'))).toBe(true);
  });

  it('runs on the slim image of the same Node and Debian release that compiled better-sqlite3', () => {
    const prod = only(
      stages.filter((s) => runs(s, PRODUCTION_INSTALL)),
      'production stage',
    );
    expect(final.image).toMatch(/^node:.+-slim$/);
    expect(final.image).toBe(`${prod.image}-slim`);
    expect(prod.image).toMatch(/^node:\d+\.\d+\.\d+-bookworm$/);
  });

  it('pins the Node 22 release that CI runs the tests on', () => {
    const pinned = spawnSync('bash', ['scripts/with-node.sh', '--pinned', '22'], { encoding: 'utf8' });
    expect(dockerfile.args.NODE_VERSION).toBe(pinned.stdout.trim());
  });

  it('copies into the final stage only from the build and production-deps stages, node_modules from the latter', () => {
    const names = stages.slice(0, -1).map((s) => s.name);
    const copies = final.steps
      .filter((s) => s.cmd === 'COPY' || s.cmd === 'ADD')
      .map((s) => copyParts(s.args));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(names).toContain(c.flags.from);
    const prod = only(
      stages.filter((s) => runs(s, PRODUCTION_INSTALL)),
      'production stage',
    );
    const modules = only(
      copies.filter((c) => c.sources.some((p) => p.endsWith('/node_modules'))),
      'COPY of node_modules',
    );
    expect(modules.flags.from).toBe(prod.name);
    const shipped = copies.flatMap((c) => c.sources.map((p) => p.replace(/^\/app\//, '')));
    expect(shipped.sort()).toEqual([
      'config.example.yml',
      'dist',
      'manifest.yml',
      'node_modules',
      'package.json',
    ]);
  });

  it('runs node dist/main.js in exec form as the node user, with SIGTERM as the stop signal', () => {
    const users = final.steps.filter((s) => s.cmd === 'USER');
    expect(users.at(-1)?.args).toBe('node');
    const cmd = only(
      final.steps.filter((s) => s.cmd === 'CMD'),
      'CMD',
    );
    expect(JSON.parse(cmd.args)).toEqual(['node', 'dist/main.js']);
    expect(final.steps.some((s) => s.cmd === 'ENTRYPOINT')).toBe(false);
    for (const s of final.steps.filter((i) => i.cmd === 'STOPSIGNAL')) expect(s.args).toBe('SIGTERM');
    expect(finalEnv.NODE_ENV).toBe('production');
  });

  it('checks health with dist/healthcheck.js, which GETs /healthz', () => {
    const check = only(
      final.steps.filter((s) => s.cmd === 'HEALTHCHECK'),
      'HEALTHCHECK',
    );
    const exec = /\bCMD\s+(\[.*\])$/.exec(check.args)?.[1];
    expect(JSON.parse(exec ?? 'null')).toEqual(['node', 'dist/healthcheck.js']);
    expect(readFileSync('src/healthcheck.ts', 'utf8')).toMatch(/\/healthz`/);
  });

  it('declares DATA_DIR as a volume, owned by node before it becomes one, and exposes PORT', () => {
    expect(finalEnv.DATA_DIR).toMatch(/^\//);
    const volume = stepIndex(final, (s) => s.cmd === 'VOLUME');
    expect(final.steps[volume]?.args).toBe(finalEnv.DATA_DIR);
    // Changes to a volume's folder after VOLUME are discarded: the chown must come first.
    const chown = stepIndex(
      final,
      (s) => s.cmd === 'RUN' && new RegExp(`chown node:node ${finalEnv.DATA_DIR}(\\s|$)`).test(s.args),
    );
    expect(chown).toBeGreaterThanOrEqual(0);
    expect(chown).toBeLessThan(volume);
    expect(final.steps.find((s) => s.cmd === 'EXPOSE')?.args).toBe(finalEnv.PORT);
  });

  it('.dockerignore keeps the host node_modules, .env and the operator config out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.env', 'config.yml']));
  });
});
