import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { envSchema, parseEnv } from '../../src/config.js';
import type { Grant } from '../../src/core/grants.js';
import { RedisStore } from '../../src/store/redis.js';
import type { PendingRequest } from '../../src/store/types.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { PRODUCTION_INSTALL } from './production.js';

/**
 * Issue 12's container parts, checked without Docker (these machines can pull no base image): the
 * Dockerfile's instructions, compose.yaml and .env.example, read as data. What the image's runtime stage runs
 * is proven by production-install.test.ts, which makes the same install for real; Redis's append-only file
 * is proven here with a real redis-server and the flags compose.yaml gives it.
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

interface ComposeService {
  build?: string;
  image?: string;
  command?: string[] | string;
  env_file?: string | string[];
  environment?: Record<string, string>;
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  ports?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parseYaml(readFileSync('compose.yaml', 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const bot = compose.services.bot as ComposeService;
const redis = compose.services.redis as ComposeService;

/** compose.yaml's redis command, as redis-server arguments. */
function redisFlags(): string[] {
  const command = redis.command ?? [];
  const words = Array.isArray(command) ? command : command.split(/\s+/);
  expect(words[0]).toBe('redis-server');
  return words.slice(1);
}

/** `40s`, `1m30s` → seconds. */
function seconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001 }[unit as string] ?? Number.NaN);
  }
  return total;
}

/** .env.example's `KEY=value` lines, and the commented-out `# KEY=value` ones. */
function envExample(): { set: Record<string, string>; commented: string[]; text: string } {
  const text = readFileSync('.env.example', 'utf8');
  const set: Record<string, string> = {};
  const commented: string[] = [];
  for (const line of text.split('\n')) {
    const active = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (active) set[active[1] as string] = active[2] as string;
    const off = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (off) commented.push(off[1] as string);
  }
  return { set, commented, text };
}

/** main.ts forces an exit this long after the grace, whatever is still running. */
const FORCE_EXIT_AFTER_GRACE_S = 10;

describe('compose.yaml', () => {
  it('runs Redis 7 with the append-only file on, a chosen fsync policy, a named volume and a healthcheck', () => {
    expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
    const flags = redisFlags();
    expect(flags[flags.indexOf('--appendonly') + 1]).toBe('yes');
    expect(['always', 'everysec']).toContain(flags[flags.indexOf('--appendfsync') + 1]);
    const data = (redis.volumes ?? []).find((v) => typeof v === 'string' && v.endsWith(':/data')) as string;
    expect(Object.keys(compose.volumes ?? {})).toContain(data.split(':')[0]);
    expect(redis.healthcheck?.test.join(' ')).toContain('ping');
  });

  it('builds the bot from the Dockerfile, reads .env, and points REDIS_URL at the redis service', () => {
    expect(bot.build).toBe('.');
    expect([bot.env_file].flat()).toContain('.env');
    const url = new URL(bot.environment?.REDIS_URL ?? '');
    expect(url.protocol).toBe('redis:');
    expect(Object.keys(compose.services)).toContain(url.hostname);
    expect(url.hostname).toBe('redis');
    expect(bot.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('mounts the config read-only where the image looks for it, and publishes the image PORT', () => {
    const mount = (bot.volumes ?? []).find(
      (v) => typeof v === 'object' && v.target === finalEnv.AWS_USER_CONFIG,
    );
    expect(mount).toMatchObject({ type: 'bind', read_only: true });
    expect(bot.ports?.map((p) => p.split(':').at(-1))).toContain(finalEnv.PORT);
  });

  it('gives the bot longer to stop than its shutdown grace plus the forced-exit margin', () => {
    const grace =
      parseEnv({ SHUTDOWN_GRACE_SECONDS: envExample().set.SHUTDOWN_GRACE_SECONDS }).shutdownGraceMs / 1000;
    const defaultGrace = parseEnv({}).shutdownGraceMs / 1000;
    const stop = seconds(bot.stop_grace_period ?? '10s');
    expect(stop).toBeGreaterThan(Math.max(grace, defaultGrace) + FORCE_EXIT_AFTER_GRACE_S);
  });
});

describe('.env.example', () => {
  const schemaKeys = Object.keys(envSchema.shape);
  /** Read only by tests (a fake Slack, moto): not an operator's setting. */
  const TEST_ONLY = ['SLACK_API_URL', 'AWS_ENDPOINT_URL'];

  it('names only variables the bot reads, and mentions every one an operator sets', () => {
    const { set, commented, text } = envExample();
    expect([...Object.keys(set), ...commented].filter((k) => !schemaKeys.includes(k))).toEqual([]);
    const unmentioned = schemaKeys.filter(
      (k) => !TEST_ONLY.includes(k) && !new RegExp(`\\b${k}\\b`).test(text),
    );
    expect(unmentioned).toEqual([]);
  });

  it('has the Slack settings, and its values parse as the bot would parse them', () => {
    const { set } = envExample();
    expect(Object.keys(set)).toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']));
    // An empty value is set-and-empty under docker's env_file, not unset: it must still be valid.
    expect(() => parseEnv(set)).not.toThrow();
  });

  it('holds no real secret', () => {
    const { set, text } = envExample();
    expect(text).not.toMatch(/xox[abposr]-\d|xapp-\d|AKIA[0-9A-Z]{16}|-----BEGIN|ghp_[A-Za-z0-9]{20}/);
    const secrets = Object.entries(set).filter(([k, v]) => /TOKEN|SECRET|PASSWORD/.test(k) && v !== '');
    expect(secrets).toEqual([]);
  });
});

describe("Redis's append-only file, with compose.yaml's flags, keeps approvals and grants through a kill -9", () => {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  afterEach(() => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** redis-server on `port` in `dir` with `flags`; RDB snapshots off, so only the AOF can keep anything. */
  async function startRedis(port: number, dir: string, flags: string[]): Promise<ChildProcess> {
    const proc = spawn(
      'redis-server',
      [...flags, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      { stdio: 'ignore' },
    );
    procs.push(proc);
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited ${proc.exitCode}`);
        const probe = new RedisStore({
          url: `redis://127.0.0.1:${port}`,
          redisOptions: { maxRetriesPerRequest: 0 },
        });
        try {
          await probe.connect();
          await probe.ping();
          return true;
        } finally {
          await probe.close();
        }
      },
      15_000,
      `redis-server on port ${port}`,
    );
    return proc;
  }

  function kill9(proc: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  /** Writes a pending request and a grant, kills Redis, starts it again on the same dir, reads both back. */
  async function survives(flags: string[]): Promise<{ request?: PendingRequest; grant?: Grant }> {
    const dir = mkdtempSync(join(tmpdir(), 'aws-user-aof-'));
    dirs.push(dir);
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const prefix = `t:aof:${randomBytes(6).toString('hex')}:`;
    const now = Date.now();
    const request: PendingRequest = {
      id: `r-${randomBytes(4).toString('hex')}`,
      kind: 'create',
      requester: 'UREQ',
      target: { username: 'alice', email: 'alice@example.com', slackUserId: 'UALICE' },
      template: 'developer',
      account: '123456789012',
      justification: 'new hire',
      extraGroups: [],
      approvalsNeeded: 2,
      adminOnly: false,
      approvals: [],
      status: 'pending',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3_600_000).toISOString(),
    };
    const grant: Grant = {
      id: `g-${randomBytes(4).toString('hex')}`,
      account: '123456789012',
      username: 'jane',
      kind: 'group',
      target: 'ProdDebug',
      requester: 'UJANE',
      ownerSlackId: 'UJANE',
      reason: 'incident 42',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3_600_000).toISOString(),
      breakGlass: false,
      approvers: ['UAPPROVER'],
      status: 'active',
    };

    const first = await startRedis(port, dir, flags);
    const writer = new RedisStore({ url, prefix });
    await writer.connect();
    await writer.createRequest(request);
    await writer.grants.upsert(grant);
    await writer.close();
    await kill9(first);

    await startRedis(port, dir, flags);
    const reader = new RedisStore({ url, prefix });
    await reader.connect();
    try {
      return { request: await reader.getRequest(request.id), grant: await reader.grants.get(grant.id) };
    } finally {
      await reader.close();
    }
  }

  it('reads both back after the restart', async () => {
    const { request, grant } = await survives(redisFlags());
    expect(request).toMatchObject({ status: 'pending', approvalsNeeded: 2, requester: 'UREQ' });
    expect(grant).toMatchObject({ status: 'active', target: 'ProdDebug', approvers: ['UAPPROVER'] });
  });

  it('loses both without those flags (what the compose file prevents)', async () => {
    const { request, grant } = await survives([]);
    expect(request).toBeUndefined();
    expect(grant).toBeUndefined();
  });
});
