import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, inject } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { RedisStore } from '../../src/store/redis.js';
import { SqliteStore } from '../../src/store/sqlite.js';

/** A RedisStore on the suite's Redis under a random prefix, connected. */
export async function redisStore(prefix = `t:${randomBytes(6).toString('hex')}:`): Promise<RedisStore> {
  const s = new RedisStore({ url: inject('redisUrl'), prefix });
  await s.connect();
  return s;
}

/**
 * The commands Redis ran while `fn` ran that mention a key under `prefix` (command name lower-cased), as
 * MONITOR saw them: the only view of what actually went over the wire, EVAL or EVALSHA.
 */
export async function monitorCommands(prefix: string, fn: () => Promise<void>): Promise<string[][]> {
  const client = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  const monitor = await client.monitor();
  // MONITOR streams asynchronously; a marker command sent after `fn` says everything before it has arrived.
  const marker = `${prefix}monitor-marker:${randomBytes(4).toString('hex')}`;
  const seen: string[][] = [];
  let markerSeen: () => void = () => {};
  const drained = new Promise<void>((resolve) => {
    markerSeen = resolve;
  });
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.includes(marker)) markerSeen();
    else if (args.some((a) => a.startsWith(prefix)))
      seen.push([String(args[0]).toLowerCase(), ...args.slice(1)]);
  });
  try {
    await fn();
    await client.get(marker);
    await drained;
    return seen;
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
}

const tempDirs: string[] = [];
// Only inside vitest: bench/ imports test helpers (through bot.ts), and a hook outside a suite throws there.
if (process.env.VITEST)
  afterEach(() => {
    for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

/** A fresh directory for one test's SQLite file, removed after the test (close the stores first). */
export function tempDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'aws-user-sqlite-'));
  tempDirs.push(d);
  return d;
}

/** A SqliteStore on `path` (default: a new file in a fresh temp dir). */
export function sqliteStore(opts: { path?: string; clock?: Clock } = {}): SqliteStore {
  return new SqliteStore({ path: opts.path ?? join(tempDataDir(), 'aws-user.db'), clock: opts.clock });
}
