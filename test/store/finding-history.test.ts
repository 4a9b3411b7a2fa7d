import { afterEach, describe, expect, it } from 'vitest';
import type { FindingRecord, RecordRunInput, ScanSource } from '../../src/core/detect/history.js';
import type { Finding } from '../../src/core/detect/inactivity.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { redisStore, sqliteStore, tempDataDir } from '../helpers/store.js';

const A = '111111111111';
const B = '222222222222';
const T = (day: number) => new Date(Date.UTC(2026, 11, day, 9)).toISOString();

function finding(id: string, account = A, severity: Finding['severity'] = 'HIGH'): Finding {
  return {
    id,
    accountId: account,
    accountName: account === A ? 'prod' : 'dev',
    userName: `user-${id}`,
    userArn: `arn:aws:iam::${account}:user/user-${id}`,
    type: 'CONSOLE_INACTIVE',
    severity,
    details: 'Console password last used 2026-01-01',
    controls: ['CC6.1'],
    remediation: 'remove it',
    daysInactive: 100,
    email: '',
    department: '',
    manager: '',
    createdDate: '2025-01-01T00:00:00Z',
    lastLogin: '2026-01-01T00:00:00Z',
    mfaEnabled: false,
    status: 'OPEN',
  };
}

function run(
  id: string,
  at: string,
  findings: Finding[],
  resolved: string[] = [],
  source: ScanSource = 'cli',
): RecordRunInput {
  return {
    run: {
      id,
      source,
      at,
      settings: 'console_days=90,access_key_days=180',
      accounts: [A, B].map((acct) => ({
        id: acct,
        name: acct,
        ok: true,
        complete: true,
        users: 3,
        counts: { HIGH: findings.filter((f) => f.accountId === acct).length, MEDIUM: 0, LOW: 0 },
      })),
      counts: { HIGH: findings.length, MEDIUM: 0, LOW: 0 },
    },
    findings,
    resolved: resolved.map((rid) => ({
      id: rid,
      resolution: { reason: 'user-deleted', text: `IAM user user-${rid} no longer exists (deleted)` },
    })),
  };
}

const ids = (rs: FindingRecord[]) => rs.map((r) => r.finding.id).sort();

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/**
 * The finding-history contract (core/detect/history.ts) over every store: a finding is OPEN from the run
 * that first sees it until a run resolves it, is kept once RESOLVED, opens again as a new episode, and
 * runs are listed newest first; pruning removes only what is older than the cut.
 */
describe.each([
  ['memory', async () => [new MemoryStore() as Store]],
  ['sqlite', async () => [sqliteStore() as Store]],
  [
    'redis',
    async () => {
      const prefix = `t:fhist:${Math.random().toString(36).slice(2)}:`;
      return [(await redisStore(prefix)) as Store, (await redisStore(prefix)) as Store];
    },
  ],
])('%s finding history', (_name, make) => {
  async function replicas(): Promise<[Store, Store]> {
    const made = await make();
    stores.push(...made);
    return [made[0] as Store, (made[1] ?? made[0]) as Store];
  }

  it('opens findings on first sight, resolves the ones a later run resolves, and keeps them', async () => {
    const [a, b] = await replicas();
    const first = await a.history.record(run('r1', T(1), [finding('f1'), finding('f2'), finding('f3', B)]));
    expect(first.opened.sort()).toEqual(['f1', 'f2', 'f3']);
    expect(first.run).toMatchObject({ id: 'r1', opened: 3, resolved: 0 });
    expect(first.firstSeen.get('f1')).toBe(T(1));
    expect(ids(await b.history.open(A))).toEqual(['f1', 'f2']);

    const second = await b.history.record(run('r2', T(2), [finding('f1'), finding('f3', B)], ['f2']));
    expect(second.opened).toEqual([]);
    expect(second.firstSeen.get('f1')).toBe(T(1));
    expect(second.resolved).toHaveLength(1);
    expect(second.resolved[0]).toMatchObject({
      status: 'RESOLVED',
      resolvedAt: T(2),
      firstSeen: T(1),
      lastSeen: T(1),
      resolution: { reason: 'user-deleted' },
      finding: { id: 'f2', status: 'RESOLVED' },
    });
    expect(ids(await a.history.open(A))).toEqual(['f1']);
    expect(ids(await a.history.resolvedSince(new Date(T(1))))).toEqual(['f2']);
    expect(ids(await a.history.resolvedSince(new Date(T(1)), [B]))).toEqual([]);
    expect(await a.history.resolvedSince(new Date(T(3)))).toEqual([]);
    // Resolving again, or resolving what is not open, changes nothing.
    const third = await a.history.record(run('r3', T(3), [finding('f1'), finding('f3', B)], ['f2', 'nope']));
    expect(third.resolved).toEqual([]);
    expect((await a.history.resolvedSince(new Date(T(1))))[0]?.resolvedAt).toBe(T(2));
  });

  it('opens a resolved finding again as a new episode, keeping the earlier one', async () => {
    const [a, b] = await replicas();
    await a.history.record(run('r1', T(1), [finding('f1')]));
    await a.history.record(run('r2', T(2), [], ['f1']));
    const again = await b.history.record(run('r3', T(5), [finding('f1')]));
    expect(again.opened).toEqual(['f1']);
    expect(again.firstSeen.get('f1')).toBe(T(5));
    const [open] = await a.history.open(A);
    expect(open).toMatchObject({
      status: 'OPEN',
      firstSeen: T(5),
      history: [{ firstSeen: T(1), resolvedAt: T(2), reason: 'user-deleted' }],
    });
    expect(open?.resolvedAt).toBeUndefined();
    expect(await a.history.resolvedSince(new Date(T(1)))).toEqual([]);
  });

  it('never moves a finding back for a run older than what it already shows', async () => {
    const [a] = await replicas();
    await a.history.record(run('r2', T(2), [finding('f1')]));
    // A scan that started earlier and finished later: it must not resolve what a newer run saw.
    const late = await a.history.record(run('r1', T(1), [], ['f1']));
    expect(late.resolved).toEqual([]);
    expect(ids(await a.history.open(A))).toEqual(['f1']);
    expect((await a.history.open(A))[0]?.lastSeen).toBe(T(2));
  });

  it('lists runs newest first, by source and before a time, with the finding ids each saw', async () => {
    const [a, b] = await replicas();
    await a.history.record(run('r1', T(1), [finding('f1')], [], 'digest'));
    await a.history.record(run('r2', T(2), [finding('f1'), finding('f2')], [], 'cli'));
    await a.history.record(run('r3', T(3), [finding('f2')], ['f1'], 'digest'));
    expect((await b.history.runs({ limit: 10 })).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    expect((await b.history.runs({ limit: 1 })).map((r) => r.id)).toEqual(['r3']);
    expect((await b.history.runs({ limit: 5, source: 'digest' })).map((r) => r.id)).toEqual(['r3', 'r1']);
    expect((await b.history.runs({ limit: 5, before: new Date(T(3)) })).map((r) => r.id)).toEqual([
      'r2',
      'r1',
    ]);
    const [latest] = await b.history.runs({ limit: 1 });
    expect(latest).toMatchObject({ source: 'digest', at: T(3), opened: 0, resolved: 1, counts: { HIGH: 1 } });
    expect(latest?.accounts.map((x) => x.id)).toEqual([A, B]);
    expect((await b.history.runFindings('r2')).sort()).toEqual(['f1', 'f2']);
    expect(await b.history.runFindings('missing')).toEqual([]);
  });

  it('records a run larger than one write batch (SQLite 2,000, Redis 1,000) as one run', async () => {
    const [a, b] = await replicas();
    const many = Array.from({ length: 4_500 }, (_, i) => finding(`m${i}`, i % 2 ? A : B));
    const first = await a.history.record(run('big1', T(1), many));
    expect(first.opened).toHaveLength(4_500);
    expect(first.firstSeen.size).toBe(4_500);
    // 2,500 gone, spread over every batch: each resolved once, the rest still open.
    const gone = many.filter((_, i) => i % 9 < 5).map((f) => f.id);
    const kept = many.filter((_, i) => i % 9 >= 5);
    const second = await b.history.record(run('big2', T(2), kept, gone));
    expect(second.run).toMatchObject({ opened: 0, resolved: gone.length });
    expect(second.resolved.map((r) => r.finding.id).sort()).toEqual([...gone].sort());
    expect((await a.history.open(A)).length + (await a.history.open(B)).length).toBe(kept.length);
    expect(await a.history.resolvedSince(new Date(T(2)))).toHaveLength(gone.length);
    expect((await a.history.runFindings('big2')).length).toBe(kept.length);
  });

  it('lists runs at the same instant newest-recorded first, every time', async () => {
    const [a, b] = await replicas();
    // Recorded z first, a last: an order by id alone (Redis's tie-break on equal scores) gets it backwards.
    const ids = ['z', 'y', 'x', 'c', 'b', 'a'];
    for (const id of ids) await a.history.record(run(id, T(4), [finding('f1')]));
    expect((await b.history.runs({ limit: 10 })).map((r) => r.id)).toEqual([...ids].reverse());
  });

  it('prunes runs, resolved findings and findings not seen since the cut; keeps the rest', async () => {
    const [a, b] = await replicas();
    await a.history.record(run('r1', T(1), [finding('old-open', B), finding('gone'), finding('kept')]));
    await a.history.record(run('r2', T(2), [finding('kept')], ['gone']));
    await a.history.record(run('r3', T(10), [finding('kept')]));
    expect(await b.history.prune(new Date(T(5)))).toEqual({ runs: 2, findings: 2 });
    expect((await a.history.runs({ limit: 10 })).map((r) => r.id)).toEqual(['r3']);
    expect(ids(await a.history.open(A))).toEqual(['kept']);
    expect(await a.history.open(B)).toEqual([]);
    expect(await a.history.resolvedSince(new Date(0))).toEqual([]);
    expect(await b.history.prune(new Date(T(5)))).toEqual({ runs: 0, findings: 0 });
  });
});

describe('sqlite finding history', () => {
  it('survives a restart: the next process resolves against what the last one recorded', async () => {
    const path = `${tempDataDir()}/aws-user.db`;
    const first = sqliteStore({ path });
    await first.history.record(run('r1', T(1), [finding('f1')]));
    await first.close();
    const second = sqliteStore({ path });
    stores.push(second);
    expect(ids(await second.history.open(A))).toEqual(['f1']);
    expect((await second.history.record(run('r2', T(2), [], ['f1']))).resolved).toHaveLength(1);
  });
});
