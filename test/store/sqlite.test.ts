import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { fixedClock } from '../../src/core/clock.js';
import { type Grant, grantId } from '../../src/core/grants.js';
import { ConflictError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { acquireInstanceLock } from '../../src/store/instance-lock.js';
import { LOCK_FILE, openStore, SQLITE_FILE } from '../../src/store/open.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { loadMigrations } from '../../src/store/sqlite-migrations.js';
import type { PendingRequest } from '../../src/store/types.js';
import { waitFor } from '../helpers/ports.js';
import { sqliteStore, tempDataDir } from '../helpers/store.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;

function request(id: string, over: Partial<PendingRequest> = {}): PendingRequest {
  return {
    id,
    kind: 'create',
    requester: 'UREQ',
    target: { username: `user-${id}`, slackUserId: 'UOWNER' },
    template: 'developer',
    account: '123456789012',
    justification: 'durability',
    extraGroups: [],
    approvalsNeeded: 2,
    adminOnly: false,
    approvals: [],
    status: 'pending',
    createdAt: T0.toISOString(),
    expiresAt: later(HOUR).toISOString(),
    ...over,
  };
}

function grant(username: string, minutes: number): Grant {
  const spec = { account: '111111111111', username, kind: 'group' as const, target: 'ProdDebug' };
  return {
    ...spec,
    id: grantId(spec),
    requester: 'U1',
    ownerSlackId: 'U1',
    reason: 'incident',
    createdAt: T0.toISOString(),
    expiresAt: later(minutes * 60_000).toISOString(),
    breakGlass: false,
    approvers: ['U2'],
    status: 'active',
  };
}

const open: { close(): Promise<void> | void }[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function config(dataDir: string): Config {
  return { env: { redisUrl: undefined, dataDir } } as unknown as Config;
}
const quiet = createLogger('silent');

/** A child process running test/store/fixtures/sqlite-child.ts; resolves once it printed "ready". */
async function child(
  args: string[],
): Promise<{ proc: ChildProcess; output: () => string; exit: Promise<number | null> }> {
  const script = ['--expose-gc', '--import', 'tsx', 'test/store/fixtures/sqlite-child.ts'];
  const proc = spawn(process.execPath, [...script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await Promise.race([
    waitFor(async () => out.includes('ready'), 30_000, `child ready (${out})`),
    exit.then((code) => {
      throw new Error(`child exited ${code}: ${out}`);
    }),
  ]);
  return { proc, output: () => out, exit };
}

// The store contract itself (approvals, quorum, expiry, claims, locks, audit) runs over SQLite in
// store.test.ts and grant-store.test.ts; this file holds what only a file on disk and processes can show.
describe('SqliteStore durability', () => {
  it('keeps pending requests, approvals, grants and their due times, MFA enrollments, temporary users and the audit trail across a close and reopen', async () => {
    const path = join(tempDataDir(), SQLITE_FILE);
    const clock = fixedClock(T0);
    const first = new SqliteStore({ path, clock });
    await first.createRequest(request('waiting'));
    await first.createRequest(request('half'));
    expect((await first.approve('half', 'UA', later(1))).result).toBe('counted');
    await first.createRequest(request('running', { approvalsNeeded: 1 }));
    expect((await first.approve('running', 'UA', later(2))).result).toBe('approved');
    await first.setRequestMessage('waiting', { channel: 'C1', ts: '1.2' });
    const short = await first.grants.upsert(grant('short', 30));
    const long = await first.grants.upsert(grant('long', 8 * 60));
    const mfa = {
      id: 'm1',
      owner: 'UA',
      startedBy: 'UA',
      account: '1',
      username: 'alice',
      serialNumber: 'arn:aws:iam::1:mfa/alice',
      startedAt: T0.toISOString(),
    };
    await first.putMfa(mfa);
    const temp = {
      id: 't1',
      account: '1',
      username: 'tmp',
      requester: 'UREQ',
      endsAt: later(2 * HOUR).toISOString(),
    };
    await first.putTemporaryUser(temp);
    const event = {
      id: 'e1',
      ts: later(5).toISOString(),
      actor: 'UA',
      action: 'request.approve',
      account: '1',
      target: 'user-half',
      outcome: 'approved' as const,
      requestId: 'half',
    };
    await first.audit.append(event);
    await first.close();

    const again = new SqliteStore({ path, clock });
    open.push(again);
    expect((await again.listPending()).map((r) => r.id).sort()).toEqual(['half', 'waiting']);
    expect((await again.getRequest('half'))?.approvals.map((a) => a.user)).toEqual(['UA']);
    expect((await again.getRequest('waiting'))?.message).toEqual({ channel: 'C1', ts: '1.2' });
    expect((await again.listApprovingSince(later(3))).map((r) => r.id)).toEqual(['running']);
    // The quorum carries on where it stopped: a second approver completes it, the first is a duplicate.
    expect((await again.approve('half', 'UA', later(10))).result).toBe('duplicate');
    expect((await again.approve('half', 'UB', later(11))).result).toBe('approved');
    expect((await again.grants.listActive()).map((g) => g.id).sort()).toEqual([long.id, short.id].sort());
    expect(await again.grants.claimDue(later(29 * 60_000), 10)).toEqual([]);
    expect((await again.grants.claimDue(later(30 * 60_000), 10)).map((g) => g.id)).toEqual([short.id]);
    expect((await again.grants.claimNotices(later(8 * HOUR - 15 * 60_000), 10)).map((g) => g.id)).toEqual([
      long.id,
    ]);
    expect((await again.grants.claimDue(later(8 * HOUR), 10)).map((g) => g.id)).toEqual([long.id]);
    expect(await again.getMfa('m1')).toEqual(mfa);
    expect(await again.takeDueTemporaryUsers(later(2 * HOUR))).toEqual([temp]);
    expect(await again.audit.recent({ limit: 10 })).toEqual([event]);
  });

  it('keeps what a process committed before it was killed with SIGKILL, and the next opener gets the instance lock', async () => {
    const dataDir = tempDataDir();
    const holder = await child(['hold', dataDir]);
    await expect(openStore(config(dataDir), quiet)).rejects.toBeInstanceOf(ConflictError);
    holder.proc.kill('SIGKILL');
    await holder.exit;
    const { store, kind } = await openStore(config(dataDir), quiet);
    open.push(store);
    expect(kind).toBe('sqlite');
    expect((await store.getRequest('held'))?.status).toBe('pending');
  });

  it('serialises 50 approvals racing from 5 processes on one file into exactly one winner', async () => {
    const path = join(tempDataDir(), SQLITE_FILE);
    const s = new SqliteStore({ path });
    open.push(s);
    await s.createRequest(request('race', { approvalsNeeded: 1 }));
    const racers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => child(['approve', path, 'race', String(i * 10), '10'])),
    );
    for (const r of racers) r.proc.stdin?.write('go\n');
    await Promise.all(racers.map((r) => r.exit));
    const results = racers.flatMap(
      (r) => JSON.parse(r.output().trim().split('\n').at(-1) as string) as string[],
    );
    expect(results).toHaveLength(50);
    expect(results.filter((x) => x === 'approved')).toHaveLength(1);
    expect(results.filter((x) => x === 'closed')).toHaveLength(49);
    const done = await s.getRequest('race');
    expect(done?.status).toBe('approving');
    expect(done?.approvals).toHaveLength(1);
  });
});

describe('the instance lock', () => {
  it('refuses a second opener naming DATA_DIR and what to do, and frees the file on close', async () => {
    const dataDir = tempDataDir();
    const { store } = await openStore(config(dataDir), quiet);
    const err = await openStore(config(dataDir), quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(
      `another aws-user instance is already running on the SQLite store in DATA_DIR=${dataDir} (lock: ${join(dataDir, LOCK_FILE)}). ` +
        'Stop the other instance first, or give this one its own DATA_DIR; to run several replicas, set REDIS_URL so they share Redis instead.',
    );
    await store.close();
    const next = await openStore(config(dataDir), quiet);
    open.push(next.store);
  });

  it('drops the job leases a killed instance left behind, so its jobs run at the next start, not after their TTL', async () => {
    const dataDir = tempDataDir();
    const first = await openStore(config(dataDir), quiet);
    expect(await first.store.acquireLock('job:digest', 3_600_000)).toBeTruthy();
    await first.store.close(); // as after kill -9: the lease was never released
    const next = await openStore(config(dataDir), quiet);
    open.push(next.store);
    expect(await next.store.acquireLock('job:digest', 3_600_000)).toBeTruthy();
  });

  it('lets a reader (the audit export) open the file beside the running bot, read-only', async () => {
    const dataDir = tempDataDir();
    const { store } = await openStore(config(dataDir), quiet);
    open.push(store);
    await store.audit.append({
      id: 'e1',
      ts: T0.toISOString(),
      actor: 'UA',
      action: 'user.create',
      account: '1',
      target: 'alice',
      outcome: 'success',
      requestId: 'r',
    });
    const reader = await openStore(config(dataDir), quiet, { readOnly: true });
    open.push(reader.store);
    expect((await reader.store.audit.scan({ since: T0, limit: 10 })).events.map((e) => e.id)).toEqual(['e1']);
    await expect(reader.store.createRequest(request('x'))).rejects.toThrow('store unavailable');
  });

  it('is held by the lock file alone, so a lock taken twice in one process is refused too', () => {
    const path = join(tempDataDir(), LOCK_FILE);
    const lock = acquireInstanceLock(path, { dataDir: 'd' });
    open.push({ close: () => lock.release() });
    expect(() => acquireInstanceLock(path, { dataDir: 'd' })).toThrow(ConflictError);
  });
});

describe('SQLite seen marks', () => {
  it('prunes expired marks as new ones are written, so the table holds only the live window', async () => {
    const clock = fixedClock(T0);
    const s = sqliteStore({ clock });
    try {
      for (let i = 0; i < 20; i++) expect(await s.firstSeen(`sig:${i}`, 60_000)).toBe(true);
      clock.advance(60_000);
      expect(await s.firstSeen('sig:new', 60_000)).toBe(true);
      const rows = s.db.prepare('SELECT key FROM seen_marks').all() as { key: string }[];
      expect(rows.map((r) => r.key)).toEqual(['sig:new']);
    } finally {
      await s.close();
    }
  });
});

describe('SQLite migrations', () => {
  it('creates DATA_DIR and the schema on first run, at the newest version, and applies nothing twice', async () => {
    const dataDir = join(tempDataDir(), 'a', 'b');
    const { store } = await openStore(config(dataDir), quiet);
    await store.close();
    expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(true);
    const db = new Database(join(dataDir, SQLITE_FILE));
    expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().at(-1)?.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const reopened = await openStore(config(dataDir), quiet);
    open.push(reopened.store);
  });

  it('refuses a file from a newer release instead of guessing at its schema', async () => {
    const path = join(tempDataDir(), SQLITE_FILE);
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    expect(() => sqliteStore({ path })).toThrow('schema version 999, newer than this release knows');
  });
});
