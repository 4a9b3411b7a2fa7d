import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_PAGE } from '../../src/cli/commands/audit.js';
import { parseEnv } from '../../src/config.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/logger.js';
import { type OpenedStore, openStore } from '../../src/store/open.js';
import { runCli } from '../helpers/cli.js';
import { testConfig } from '../helpers/core.js';
import { tempDataDir } from '../helpers/store.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const clock = fixedClock(NOW);
let dataDir: string;
let bot: OpenedStore;
const events: AuditEvent[] = [];

beforeAll(async () => {
  dataDir = tempDataDir();
  // The bot's own open: it takes the instance lock and keeps it for the whole test.
  bot = await openStore({ ...testConfig(), env: parseEnv({ DATA_DIR: dataDir }) }, silentLogger(), { clock });
  expect(bot.kind).toBe('sqlite');
  for (let i = 0; i < 2_300; i++) {
    const e: AuditEvent = {
      id: `e${i}`,
      ts: new Date(NOW.getTime() - 30 * DAY_MS + i * 60_000).toISOString(),
      actor: 'U1',
      action: 'create-user',
      account: '123456789012',
      target: `user${i}`,
      outcome: 'success',
      requestId: `r${i}`,
    };
    events.push(e);
    await bot.store.audit.append(e);
  }
});
afterAll(async () => {
  await bot?.store.close();
});

const cli = (args: string[], env: Record<string, string>) =>
  runCli(['--config', 'config.example.yml', ...args], { env, clock, logger: silentLogger() });

describe('aws-user audit export (SQLite, beside the running bot)', () => {
  it('reads the file read-only while the bot holds the instance lock, over more than one page', async () => {
    expect(events.length).toBeGreaterThan(2 * EXPORT_PAGE);
    const r = await cli(['audit', 'export', '--since', '90d'], { DATA_DIR: dataDir });
    expect(r.stderr).toBe(`exported ${events.length} audit events\n`);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(events);
    // The bot still writes after the export.
    await bot.store.audit.append({ ...events[0], id: 'after' } as AuditEvent);
  });

  it('exits 2 naming DATA_DIR when there is no trail there', async () => {
    const r = await cli(['audit', 'export', '--since', '1d'], { DATA_DIR: tempDataDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DATA_DIR: no audit trail readable at .*aws-user\.db/);
  });
});
