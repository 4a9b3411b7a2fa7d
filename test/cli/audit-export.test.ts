import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CSV_COLUMNS, EXPORT_PAGE, exportAudit } from '../../src/cli/commands/audit.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { DAY_MS, fixedClock, parseWhen } from '../../src/core/clock.js';
import { silentLogger } from '../../src/logger.js';
import type { RedisStore } from '../../src/store/redis.js';
import { runCli } from '../helpers/cli.js';
import { redisStore } from '../helpers/store.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const clock = fixedClock(NOW);

function event(i: number, ts: Date, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `e${String(i).padStart(5, '0')}`,
    ts: ts.toISOString(),
    actor: 'U1',
    action: 'create-user',
    account: '123456789012',
    target: `user${i}`,
    outcome: 'success',
    requestId: `r${i}`,
    ...over,
  };
}

/** RFC 4180, enough for the export: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

let store: RedisStore;
let events: AuditEvent[];
let dir: string;
const env = () => ({ REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: store.prefix, USER: 'auditor' });
const cli = (args: string[], e: Record<string, string | undefined> = env()) =>
  runCli(['--config', 'config.example.yml', ...args], { env: e, clock, logger: silentLogger() });

beforeAll(async () => {
  store = await redisStore();
  dir = await mkdtemp(join(tmpdir(), 'audit-export-'));
  // 2,600 events over the last 130 days, one every 72 minutes: more than two pages of EXPORT_PAGE.
  events = [];
  for (let i = 0; i < 2_600; i++) {
    events.push(event(i, new Date(NOW.getTime() - 130 * DAY_MS + i * 72 * 60_000)));
  }
  events.push(
    event(9_000, new Date(NOW.getTime() - 60_000), {
      actor: '=HYPERLINK("http://evil.example","x")',
      target: '+cmd',
      outcome: 'failure',
      error: '-2+3 failed, "quoted", and\nmultiline',
      details: { group: '@admins', note: 'a,b' },
    }),
  );
  const pipe = store.redis.pipeline();
  for (const e of events) pipe.xadd(`${store.prefix}audit`, '*', 'event', JSON.stringify(e));
  await pipe.exec();
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('aws-user audit export (Redis)', () => {
  it('streams every event since a duration ago as JSON Lines, oldest first, over more than one page', async () => {
    expect(events.length).toBeGreaterThan(2 * EXPORT_PAGE);
    const r = await cli(['audit', 'export', '--since', '400d']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
    expect(r.stderr).toBe(`exported ${events.length} audit events\n`);
  });

  it('reads only [--since, --until), with dates or durations', async () => {
    const since = '2026-01-01';
    const until = '2026-02-01T00:00:00Z';
    const want = events.filter(
      (e) => e.ts >= '2026-01-01T00:00:00.000Z' && e.ts < '2026-02-01T00:00:00.000Z',
    );
    expect(want.length).toBeGreaterThan(EXPORT_PAGE / 3);
    const r = await cli(['audit', 'export', '--since', since, '--until', until]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(want.map((e) => e.id));

    const last = await cli(['audit', 'export', '--since', '2h']);
    expect(
      last.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(events.filter((e) => Date.parse(e.ts) >= NOW.getTime() - 2 * 3_600_000).map((e) => e.id));
  });

  it('writes CSV to a file with stable columns, quoted cells and formulas defused, and no partial file', async () => {
    const out = join(dir, 'trail.csv');
    const r = await cli(['audit', 'export', '--since', '7d', '--format', 'csv', '--output', out]);
    expect(r.code).toBe(0);
    const want = events.filter((e) => Date.parse(e.ts) >= NOW.getTime() - 7 * DAY_MS);
    expect(r.stdout).toBe(`wrote ${want.length} audit events to ${out}\n`);
    expect(await readdir(dir)).toEqual(['trail.csv']);
    const rows = parseCsv(await readFile(out, 'utf8'));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows[0]).toEqual([
      'id',
      'ts',
      'actor',
      'action',
      'account',
      'target',
      'outcome',
      'requestId',
      'error',
      'details',
    ]);
    expect(rows).toHaveLength(want.length + 1);
    expect(rows[1]).toEqual([
      want[0]?.id,
      want[0]?.ts,
      'U1',
      'create-user',
      '123456789012',
      want[0]?.target,
      'success',
      want[0]?.requestId,
      '',
      '',
    ]);
    const evil = rows.at(-1) as string[];
    expect(evil[2]).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(evil[5]).toBe(`'+cmd`);
    expect(evil[8]).toBe(`'-2+3 failed, "quoted", and\nmultiline`);
    expect(JSON.parse(evil[9] as string)).toEqual({ group: '@admins', note: 'a,b' });
    // No cell of the file starts a formula.
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('says what it wrote as JSON with --json and --output', async () => {
    const out = join(dir, 'trail.jsonl');
    const r = await cli(['--json', 'audit', 'export', '--since', '2026-02-28T12:00:00Z', '--output', out]);
    expect(r.code).toBe(0);
    const n = events.filter((e) => e.ts >= '2026-02-28T12:00:00.000Z').length;
    expect(r.json()).toEqual({
      ok: true,
      events: n,
      since: '2026-02-28T12:00:00.000Z',
      format: 'jsonl',
      output: out,
    });
    expect((await readFile(out, 'utf8')).trimEnd().split('\n')).toHaveLength(n);
  });

  it('exits 2 on a bad --since, --until or --format, naming the option and the fix', async () => {
    const bad = await cli(['audit', 'export', '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: "last tuesday" is neither a date nor a duration \(give an ISO date/);
    expect(bad.stderr).toMatch(/90d/);
    expect(bad.stdout).toBe('');

    const json = await cli(['--json', 'audit', 'export', '--since', '2026-13-45']);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: expect.stringMatching(/^--since/) },
    });

    const order = await cli(['audit', 'export', '--since', '1d', '--until', '2d']);
    expect(order.code).toBe(2);
    expect(order.stderr).toMatch(/--until: .* is not after --since/);

    const format = await cli(['audit', 'export', '--since', '1d', '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format: "xml" is not a format \(choose jsonl or csv\)/);

    const missing = await cli(['audit', 'export']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--since/);
  });

  it('refuses to export from a store that is not the bot’s (no REDIS_URL, memory): exit 2', async () => {
    const r = await cli(['audit', 'export', '--since', '1d'], { USER: 'auditor' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REDIS_URL/);
  });

  it('exits 1, without a partial file, when Redis does not answer', async () => {
    const out = join(dir, 'never.jsonl');
    const r = await cli(['audit', 'export', '--since', '1d', '--output', out], {
      REDIS_URL: 'redis://127.0.0.1:1',
      USER: 'auditor',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/redis store is not reachable/);
    expect(await readdir(dir)).not.toContain('never.jsonl');
    expect(await readdir(dir)).not.toContain('never.jsonl.partial');
  });
});

describe('exportAudit', () => {
  it('asks the store one page at a time and writes each page as it comes', async () => {
    const pages = [0, 1, 2].map((p) =>
      Array.from({ length: p < 2 ? EXPORT_PAGE : 10 }, (_, i) => event(p * EXPORT_PAGE + i, NOW)),
    );
    const asked: (string | undefined)[] = [];
    const log = {
      scan: async (o: { limit: number; cursor?: string }) => {
        asked.push(o.cursor);
        expect(o.limit).toBe(EXPORT_PAGE);
        const n = o.cursor ? Number(o.cursor) : 0;
        return n < 2
          ? { events: pages[n] as AuditEvent[], cursor: String(n + 1) }
          : { events: pages[2] as AuditEvent[] };
      },
    } as unknown as Parameters<typeof exportAudit>[0];
    const writes: number[] = [];
    const n = await exportAudit(log, { since: new Date(0) }, 'jsonl', async (t) => {
      writes.push(t.split('\n').length - 1);
    });
    expect(n).toBe(2 * EXPORT_PAGE + 10);
    expect(asked).toEqual([undefined, '1', '2']);
    expect(writes).toEqual([EXPORT_PAGE, EXPORT_PAGE, 10]);
  });

  it('parses dates and durations against the injected now', () => {
    expect(parseWhen('--since', '90d', NOW).toISOString()).toBe(
      new Date(NOW.getTime() - 90 * DAY_MS).toISOString(),
    );
    expect(parseWhen('--since', '2026-01-31', NOW).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseWhen('--since', '2026-01-31T10:00:00+02:00', NOW).toISOString()).toBe(
      '2026-01-31T08:00:00.000Z',
    );
    for (const bad of ['2026-02-30', '2026-02-30x', '90', 'd', '2026-1-5', ''])
      expect(() => parseWhen('--until', bad, NOW)).toThrow(/^--until: /);
  });
});
