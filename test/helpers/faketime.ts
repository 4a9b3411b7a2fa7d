import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * libfaketime (Debian's `libfaketime` package) shifts a child process's clock: LD_PRELOAD plus FAKETIME=+1s
 * gives it a Date.now() one second ahead, as a second host's clock would be, while its timers still run at
 * the real pace. The replica suite needs it for one replica, and CI machines may not have the package
 * installed, so this finds the library or fetches it without root (`apt-get download` + `dpkg-deb -x` into
 * the gitignored .cache/). It never skips: with no library the skew that the suite exists to test is gone.
 */

const LIB = 'libfaketime.so.1';
const FIX = 'install it with "apt-get install libfaketime" (Debian/Ubuntu)';

/** The Debian multiarch triplet the package installs under (x86_64-linux-gnu, aarch64-linux-gnu, …). */
function multiarch(): string {
  for (const [cmd, args] of [
    ['dpkg-architecture', ['-qDEB_HOST_MULTIARCH']],
    ['gcc', ['-print-multiarch']],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    const out = r.status === 0 ? r.stdout.trim() : '';
    if (out) return out;
  }
  return 'x86_64-linux-gnu';
}

function libIn(root: string, arch: string): string {
  return join(root, 'usr', 'lib', arch, 'faketime', LIB);
}

function run(cmd: string, args: string[], cwd: string): string | undefined {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status === 0) return undefined;
  return `${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr ?? ''}`.trim();
}

/**
 * Downloads the .deb into a scratch folder and unpacks it there, then renames the folder into place, so a
 * half-finished fetch (or two at once) never leaves a cache that looks complete.
 */
function fetchInto(cacheDir: string, arch: string): string {
  mkdirSync(resolve(cacheDir, '..'), { recursive: true });
  const scratch = mkdtempSync(`${cacheDir}.tmp-`);
  try {
    const failed = run('apt-get', ['download', 'libfaketime'], scratch);
    if (failed) throw new Error(failed);
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download libfaketime left no .deb');
    const unpacked = run('dpkg-deb', ['-x', deb, '.'], scratch);
    if (unpacked) throw new Error(unpacked);
    if (!existsSync(libIn(scratch, arch))) throw new Error(`the package has no ${libIn('', arch)}`);
    try {
      renameSync(scratch, cacheDir);
    } catch (err) {
      // Another run got there first: its copy is as good as ours.
      if (!existsSync(libIn(cacheDir, arch))) throw err;
    }
    return libIn(cacheDir, arch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The path of libfaketime.so.1: the system's, else the repo cache's, else fetched into the cache. */
export function libfaketime(repoRoot: string = process.cwd()): string {
  const arch = multiarch();
  const system = libIn('/', arch);
  if (existsSync(system)) return system;
  const cacheDir = resolve(repoRoot, '.cache', 'libfaketime');
  const cached = libIn(cacheDir, arch);
  if (existsSync(cached)) return cached;
  try {
    return fetchInto(cacheDir, arch);
  } catch (err) {
    throw new Error(
      `libfaketime not found at ${system} or ${cached}, and fetching it failed (${(err as Error).message}): ${FIX}`,
    );
  }
}

/**
 * The environment that runs a child process `seconds` ahead, checked on a throwaway node first: a library
 * that loads but does not shift the clock would make a skew test pass for the wrong reason.
 */
export function skewedClockEnv(seconds: number, repoRoot?: string): Record<string, string> {
  const env = { LD_PRELOAD: libfaketime(repoRoot), FAKETIME: `${seconds >= 0 ? '+' : ''}${seconds}s` };
  const before = Date.now();
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  const after = Date.now();
  const seen = Number(r.stdout);
  // The child's reading lies between our two readings, shifted; allow for its start-up in between.
  if (r.status !== 0 || !(seen >= before + seconds * 1000 - 250 && seen <= after + seconds * 1000 + 250)) {
    throw new Error(
      `libfaketime at ${env.LD_PRELOAD} did not shift a node child's clock by ${seconds}s (saw ${seen - before} ms ahead, exit ${r.status}: ${r.stderr}): ${FIX}`,
    );
  }
  return env;
}
