import { afterEach, describe, expect, it } from 'vitest';
import { type AuditEvent, Auditor } from '../../src/core/audit.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import type { Finding } from '../../src/core/detect/inactivity.js';
import type { CoreOps } from '../../src/core/index.js';
import type { Deps } from '../../src/deps.js';
import { auditRetention } from '../../src/jobs/audit-retention.js';
import { findingsRetention } from '../../src/jobs/findings-retention.js';
import { jobs, runJob } from '../../src/jobs/index.js';
import { createLogger } from '../../src/logger.js';
import { Drain } from '../../src/slack/drain.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { AuditLog, Store } from '../../src/store/types.js';
import { testConfig } from '../helpers/core.js';
import { redisStore, sqliteStore } from '../helpers/store.js';

const NOW = new Date('2026-03-01T03:17:00Z');

function event(i: number, ageDays: number): AuditEvent {
  return {
    id: `e${i}`,
    ts: new Date(NOW.getTime() - ageDays * DAY_MS).toISOString(),
    actor: 'U1',
    action: 'create-user',
    account: '123456789012',
    target: `user${i}`,
    outcome: 'success',
    requestId: `r${i}`,
  };
}

async function all(log: AuditLog): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.scan({ since: new Date(0), limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.events);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

function retentionDeps(store: Store) {
  let text = '';
  const logger = createLogger('info', {
    write(chunk: string) {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream);
  const clock = fixedClock(NOW);
  const auditor = new Auditor(store.audit, clock, logger);
  const deps = {
    config: testConfig(),
    store,
    clock,
    logger,
    core: { audit: (e: Parameters<CoreOps['audit']>[0]) => auditor.record(e) } as unknown as CoreOps,
    drain: new Drain(),
  } as unknown as Deps;
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { deps, lines };
}

const stores: [string, () => Promise<Store>][] = [
  ['memory', async () => new MemoryStore()],
  ['redis', () => redisStore()],
  ['sqlite', async () => sqliteStore({ clock: fixedClock(NOW) })],
];

describe.each(stores)('audit-retention on %s', (_name, open) => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
  });

  it('is scheduled from config and listed with the other jobs', () => {
    expect(jobs).toContain(auditRetention);
    expect(auditRetention.schedule(testConfig())).toBe('17 3 * * *');
  });

  it('deletes only what is older than retention_days, then audits the count and the cutoff', async () => {
    store = await open();
    // 1,200 events past retention (more than one Redis page of 1,000), 3 within it.
    for (let i = 0; i < 1_200; i++) await store.audit.append(event(i, 401 + (i % 30)));
    for (const [i, age] of [
      [2_000, 399.9],
      [2_001, 30],
      [2_002, 0],
    ] as const)
      await store.audit.append(event(i, age));
    const { deps, lines } = retentionDeps(store);

    expect(await runJob(auditRetention, deps, { tick: NOW })).toBe('ran');

    const left = await all(store.audit);
    const cutoff = new Date(NOW.getTime() - 400 * DAY_MS).toISOString();
    expect(left.map((e) => e.id)).toEqual(['e2000', 'e2001', 'e2002', expect.any(String)]);
    const prune = left.at(-1);
    expect(prune).toMatchObject({
      actor: 'system:audit-retention',
      action: 'audit.prune',
      outcome: 'success',
      details: { pruned: 1_200, cutoff, retentionDays: 400 },
    });
    expect(lines()).toContainEqual(
      expect.objectContaining({ msg: 'audit-retention: pruned the audit trail', pruned: 1_200, cutoff }),
    );
    expect(lines().filter((l) => l.audit === true)).toEqual([
      expect.objectContaining({ action: 'audit.prune', id: prune?.id }),
    ]);

    // The next run finds nothing to delete, keeps the first run's record, and says so.
    expect(await runJob(auditRetention, deps, { tick: new Date(NOW.getTime() + DAY_MS) })).toBe('ran');
    const again = await all(store.audit);
    expect(again).toHaveLength(5);
    expect(again.at(-1)).toMatchObject({ outcome: 'noop', details: { pruned: 0 } });
  });
});

describe.each(stores)('findings-retention on %s', (_name, open) => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
  });

  it('prunes finding history older than inactivity.history_days, keeps the rest, and audits it', async () => {
    expect(jobs).toContain(findingsRetention);
    expect(findingsRetention.schedule(testConfig())).toBe('17 3 * * *');
    store = await open();
    const at = (ageDays: number) => new Date(NOW.getTime() - ageDays * DAY_MS).toISOString();
    const finding = (id: string) => ({ ...sampleFinding, id, userName: id });
    const run = (id: string, ageDays: number, ids: string[], resolved: string[] = []) => ({
      run: {
        id,
        source: 'digest' as const,
        at: at(ageDays),
        settings: 's',
        accounts: [],
        counts: { HIGH: ids.length, MEDIUM: 0, LOW: 0 },
      },
      findings: ids.map(finding),
      resolved: resolved.map((r) => ({
        id: r,
        resolution: { reason: 'user-deleted' as const, text: 'gone' },
      })),
    });
    await store.history.record(run('old', 500, ['f-old', 'f-kept']));
    await store.history.record(run('resolving', 450, ['f-kept'], ['f-old']));
    await store.history.record(run('recent', 10, ['f-kept']));
    const { deps } = retentionDeps(store);
    deps.config.inactivity.history_days = 400;

    expect(await runJob(findingsRetention, deps, { tick: NOW })).toBe('ran');
    expect((await store.history.runs({ limit: 10 })).map((r) => r.id)).toEqual(['recent']);
    expect((await store.history.open(sampleFinding.accountId)).map((r) => r.finding.id)).toEqual(['f-kept']);
    expect(await store.history.resolvedSince(new Date(0))).toEqual([]);
    const [audited] = await store.audit.recent({ limit: 1 });
    expect(audited).toMatchObject({
      actor: 'system:findings-retention',
      action: 'findings.prune',
      outcome: 'success',
      details: { runs: 2, findings: 1, historyDays: 400, cutoff: at(400) },
    });
  });
});

const sampleFinding: Finding = {
  id: 'f',
  accountId: '123456789012',
  accountName: 'home',
  userName: 'u',
  userArn: 'arn:aws:iam::123456789012:user/u',
  type: 'CONSOLE_INACTIVE',
  severity: 'HIGH',
  details: 'd',
  controls: ['CC6.1'],
  remediation: 'r',
  daysInactive: 100,
  email: '',
  department: '',
  manager: '',
  createdDate: '',
  lastLogin: '',
  mfaEnabled: false,
  status: 'OPEN',
};
