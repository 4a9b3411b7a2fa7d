import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, startBotProcess } from '../helpers/bot-process.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { freePort } from '../helpers/ports.js';
import { SIGNING_SECRET, sendCommand } from '../helpers/slack-requests.js';
import { PRODUCTION_INSTALL, UNREVIEWED_SCRIPTS } from './production.js';

/**
 * Issue 12: the production install, made for real. The tree is what `npm pack` ships (dist/ as the global
 * setup built it) plus the lockfile and .npmrc, and PRODUCTION_INSTALL (the Dockerfile's command) runs in it,
 * with better-sqlite3 compiled from source as .npmrc asks. Then the bot and the CLI run from that tree alone,
 * which is what proves the container's runtime stage has every runtime dependency: the image itself cannot
 * be built on these machines.
 */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for failure messages. */
  output: string;
}

/**
 * PATH without any node_modules/.bin: `npx vitest` and `npm test` put this clone's on it, and a child that
 * finds this clone's tsc there proves nothing about the tree it runs in.
 */
const PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((entry) => !/[\\/]node_modules[\\/]\.bin$/.test(entry))
  .join(':');

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? { ...process.env, PATH } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    proc.once('error', reject);
    proc.once('close', (status) => resolve({ status, stdout, stderr, output: `${stdout}\n${stderr}` }));
  });
}

/** A child with nothing of ours in its environment but PATH and what the case sets. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH, ...extra };
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** What `npm pack` puts in the tarball (package.json's `files`, plus what npm always adds). */
async function shippedFiles(): Promise<string[]> {
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: process.cwd() });
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed:\n${r.output}`);
  const [listing] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return (listing?.files ?? []).map((f) => f.path);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** dist/ files that do something when imported (start the bot, run the CLI, probe /healthz). */
const ENTRY_POINTS = ['main.js', 'cli/bin.js', 'healthcheck.js'];

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

const MINIMAL_CONFIG = [
  'templates:',
  '  developer:',
  '    groups: []',
  'slack:',
  '  approvals_channel: C0APPROVALS',
  '',
];

describe('the production install: npm ci --omit=dev on a built tree', () => {
  let dir: string;
  let shipped: string[];
  let install: Run;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aws-user-prod-'));
    shipped = await shippedFiles();
    for (const file of [...shipped, 'package-lock.json', '.npmrc']) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      copyFileSync(file, join(dir, file));
    }
    const [cmd, ...args] = PRODUCTION_INSTALL.split(' ');
    // The whole environment is passed on: under scripts/with-node.sh it carries npm_config_nodedir, the
    // headers node-gyp builds better-sqlite3 against for that Node. At the lowest CPU priority: the minute
    // of compiling runs beside the other test files, whose bots have seconds-long deadlines.
    install = await run('nice', ['-n', '19', cmd as string, ...args], { cwd: dir });
  }, 360_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** npm ci may leave a tree behind when it fails (in prepare, say): nothing below means anything then. */
  function installed(): void {
    expect(install.status, install.output).toBe(0);
  }

  it('installs, with prepare using the built dist/ instead of calling a tsc that is not there', () => {
    expect(install.status, install.output).toBe(0);
    expect(install.stdout).toContain('prepare: TypeScript is not installed (a production install)');
    expect(install.output).not.toContain('tsc: not found');
  });

  it("ran better-sqlite3's build because package.json's allowScripts approves it, with no unreviewed-scripts notice", () => {
    installed();
    expect(install.output).not.toContain(UNREVIEWED_SCRIPTS);
    expect(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
  });

  it('installs no package that only the dev dependencies need', () => {
    installed();
    // The lockfile marks what only dev dependencies pull in; ws and @types/node, say, are dev dependencies
    // here but also what @slack/bolt needs at run time, so they stay.
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.dev)
      .map(([path]) => path);
    expect(devOnly).toEqual(
      expect.arrayContaining(['node_modules/typescript', 'node_modules/vitest', 'node_modules/tsx']),
    );
    expect(devOnly.filter((path) => existsSync(join(dir, path)))).toEqual([]);
    expect(existsSync(join(dir, 'node_modules/.bin/tsc'))).toBe(false);
  });

  it('ships the entry points, the store files and the prepare script', () => {
    expect(shipped).toEqual(
      expect.arrayContaining([
        'dist/main.js',
        'dist/cli/bin.js',
        'dist/healthcheck.js',
        'scripts/prepare.mjs',
        'config.example.yml',
        'manifest.yml',
      ]),
    );
    expect(shipped.some((f) => /^dist\/store\/migrations\/.+\.sql$/.test(f))).toBe(true);
    expect(shipped.some((f) => /^dist\/store\/lua\/.+\.lua$/.test(f))).toBe(true);
  });

  it('node dist/main.js without Slack tokens exits 2 with the clear message, not a module-not-found crash', async () => {
    installed();
    const r = await run(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: bareEnv({ AWS_USER_CONFIG: 'config.example.yml' }),
    });
    expect(r.output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    expect(r.status, r.output).toBe(2);
    expect(r.stderr).toContain('missing SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET');
  });

  it('node dist/cli/bin.js --help prints the usage and exits 0', async () => {
    installed();
    const r = await run(process.execPath, ['dist/cli/bin.js', '--help'], { cwd: dir, env: bareEnv() });
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain('Usage: aws-user');
  });

  it('every import in dist/ names a production dependency (or a Node built-in)', () => {
    installed();
    const deps = new Set(Object.keys(pkg.dependencies));
    const bare = /(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"./][^'"]*)['"]/gm;
    const used = new Set<string>();
    for (const file of walk(join(dir, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(bare)) {
        const spec = m[1] as string;
        if (!spec.startsWith('node:')) used.add(packageOf(spec));
      }
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((name) => !deps.has(name))).toEqual([]);
  });

  it('every module in dist/ but the entry points imports cleanly from the production tree alone', async () => {
    installed();
    const modules = walk(join(dir, 'dist'))
      .filter((f) => f.endsWith('.js') && !ENTRY_POINTS.includes(relative(join(dir, 'dist'), f)))
      .map((f) => pathToFileURL(f).href);
    expect(modules.length).toBeGreaterThan(50);
    // One process for all of them; exit at once, since an imported module may hold a handle open.
    const script = `const failed = [];
for (const url of process.argv.slice(1)) {
  try { await import(url); } catch (err) { failed.push(url + ': ' + err.message); }
}
process.stdout.write(JSON.stringify(failed));
process.exit(0);`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script, ...modules], {
      cwd: dir,
      env: bareEnv(),
    });
    expect(r.status, r.output).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  describe('the bot runs from that tree', () => {
    let moto: Moto;
    let fake: FakeSlack;
    let unhealthy: Server;

    beforeAll(async () => {
      moto = await startMoto();
      fake = await startFakeSlack();
      unhealthy = createServer((_req, res) => {
        res.writeHead(503);
        res.end('{"status":"degraded"}');
      });
      await new Promise<void>((resolve) => unhealthy.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await killAll();
      await moto?.stop();
      await fake?.stop();
      unhealthy?.close();
    });

    /** dist/healthcheck.js, the image's HEALTHCHECK, against a port. */
    function healthcheck(port: number): Promise<Run> {
      return run(process.execPath, ['dist/healthcheck.js'], {
        cwd: dir,
        env: bareEnv({ PORT: String(port) }),
      });
    }

    it('serves /healthz 200 on SQLite (the native binding loads), answers a command, and stops 0 on SIGTERM', async () => {
      installed();
      const configPath = join(dir, 'config.yml');
      writeFileSync(configPath, MINIMAL_CONFIG.join('\n'));
      const bot = await startBotProcess(
        'prod',
        {
          AWS_USER_CONFIG: configPath,
          SLACK_BOT_TOKEN: 'xoxb-production-install',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: fake.apiUrl,
          DATA_DIR: join(dir, 'data'),
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
          SHUTDOWN_GRACE_SECONDS: '5',
        },
        { cwd: dir },
      );
      const health = await fetch(bot.healthUrl);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', store: 'ok', aws: 'ok' });
      expect(existsSync(join(dir, 'data'))).toBe(true);

      const res = await sendCommand(bot.url, { text: 'create', user_id: 'U0PRODINST' });
      expect(res.status).toBe(200);
      await fake.waitForCall('views.open');

      const ok = await healthcheck(bot.port);
      expect(ok.status, ok.output).toBe(0);

      bot.proc.kill('SIGTERM');
      expect(await bot.exit, bot.output()).toBe(0);
    });

    it('dist/healthcheck.js exits 1 on a closed port and on a 503', async () => {
      const closed = await healthcheck(await freePort());
      expect(closed.status).toBe(1);
      expect(closed.stderr).toContain('ECONNREFUSED');
      const address = unhealthy.address();
      const degraded = await healthcheck(typeof address === 'object' && address ? address.port : 0);
      expect(degraded.status).toBe(1);
      expect(degraded.stderr).toContain('answered 503');
    });
  });

  it('packs into a tarball whose install links a working aws-user bin', async () => {
    installed();
    const packed = await run('npm', ['pack', '--silent'], { cwd: dir });
    expect(packed.status, packed.output).toBe(0);
    const tarball = join(dir, `${pkg.name}-${pkg.version}.tgz`);
    expect(existsSync(tarball), packed.output).toBe(true);
    const consumer = join(dir, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
    // --ignore-scripts: this install is about the bin link (path, shebang, mode). The native build, the
    // same in both installs, is proven above; compiling it again would double the file's time.
    const r = await run(
      'npm',
      ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
      { cwd: consumer },
    );
    expect(r.status, r.output).toBe(0);
    const help = await run(join(consumer, 'node_modules/.bin/aws-user'), ['--help'], {
      cwd: consumer,
      env: bareEnv(),
    });
    expect(help.status, help.output).toBe(0);
    expect(help.stdout).toContain('Usage: aws-user');
  }, 120_000);
});

describe('scripts/prepare.mjs', () => {
  let tree: string;

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'aws-user-prepare-'));
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  /** A fresh tree with the script and whatever else the case lays out. */
  function layout(name: string, files: Record<string, string>): string {
    const root = join(tree, name);
    for (const [file, text] of Object.entries({
      'scripts/prepare.mjs': readFileSync('scripts/prepare.mjs', 'utf8'),
      ...files,
    })) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    return root;
  }

  const typescript = {
    'node_modules/typescript/package.json': '{ "name": "typescript", "main": "index.js" }',
    'node_modules/typescript/index.js': '',
  };
  /** A build script that leaves a mark (and fails when told to), standing in for tsc. */
  const buildScript = (exit = 0) => ({
    'package.json': JSON.stringify({
      name: 'stand-in',
      scripts: { build: `node -e "require('fs').writeFileSync('built','')" && exit ${exit}` },
    }),
  });

  function prepare(root: string): Promise<Run> {
    // HOME in the tree: TypeScript must not resolve from anywhere but the tree (~/.node_modules included).
    return run(process.execPath, ['scripts/prepare.mjs'], { cwd: root, env: bareEnv({ HOME: root }) });
  }

  it('builds with npm run build when TypeScript and the sources are there (a clone after npm ci)', async () => {
    const root = layout('clone', { ...typescript, ...buildScript(), 'src/main.ts': '' });
    const r = await prepare(root);
    expect(r.status, r.output).toBe(0);
    expect(existsSync(join(root, 'built'))).toBe(true);
  });

  it("fails with the build's status when the build fails", async () => {
    const root = layout('broken', { ...typescript, ...buildScript(3), 'src/main.ts': '' });
    expect((await prepare(root)).status).toBe(3);
  });

  it('skips with a note when TypeScript is absent and dist/main.js is built (a production install)', async () => {
    const root = layout('production', { ...buildScript(), 'src/main.ts': '', 'dist/main.js': '' });
    const r = await prepare(root);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain('TypeScript is not installed');
    expect(existsSync(join(root, 'built'))).toBe(false);
  });

  it('skips with a note when TypeScript is there but not yet the sources (the image build installs deps first)', async () => {
    const root = layout('deps-first', { ...typescript, ...buildScript() });
    const r = await prepare(root);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain('no sources (src/) yet');
    expect(existsSync(join(root, 'built'))).toBe(false);
  });

  it('fails naming what is missing and what to run when there is neither TypeScript nor a built dist/', async () => {
    const root = layout('unbuilt', { ...buildScript(), 'src/main.ts': '' });
    const r = await prepare(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/main.js is not built, and TypeScript (a dev dependency) is not');
    expect(r.stderr).toContain('npm ci --omit=dev');
    expect(existsSync(join(root, 'built'))).toBe(false);
  });
});
