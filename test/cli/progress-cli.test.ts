import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/context.js';
import { fixedClock } from '../../src/core/clock.js';
import { BULK_COLUMNS } from '../../src/core/users/bulk.js';
import { silentLogger } from '../../src/logger.js';
import { runCli } from '../helpers/cli.js';
import { createGroups, testConfig } from '../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

/**
 * The progress line of the long commands, driven in-process against moto: on stderr when it is a terminal,
 * never on stdout, never when stderr is piped, never with --json. The clock stands still, so the throttle
 * lets through exactly the first frame and done()'s last one.
 */

const PROD = '222222222222';
let moto: Moto;
let dir: string;
let cfgPath: string;
let deps: CliDeps;

beforeAll(async () => {
  moto = await startMoto();
  dir = mkdtempSync(join(tmpdir(), 'aws-user-progress-'));
  cfgPath = join(dir, 'config.json');
  const { source: _s, env: _e, ...file } = testConfig();
  const accounts = [
    { id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' },
    { id: PROD, name: 'prod', role_arn: `arn:aws:iam::${PROD}:role/aws-user-bot`, region: 'us-east-1' },
  ];
  writeFileSync(cfgPath, JSON.stringify({ ...file, accounts }));
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  const clock = fixedClock(new Date());
  deps = {
    env: { USER: 'tester', DATA_DIR: join(dir, 'data') },
    clock,
    clients: (config) => moto.clients(config.accounts, { clock }),
    logger: silentLogger(),
  };
});
afterAll(async () => {
  await moto?.stop();
});

const cli = (args: string[], errIsTTY: boolean) =>
  runCli(['--config', cfgPath, ...args], deps, [], { errIsTTY });
const FRAME = '\r\x1b[2K';

function expectNoProgress(stdout: string, label: string): void {
  for (const bit of [label, '\r', '\x1b']) expect(stdout).not.toContain(bit);
}

describe('progress on stderr', () => {
  it('scan: "scanning accounts: n/N" on a terminal, nothing piped or with --json; stdout never', async () => {
    // --no-history: the runs are compared with each other, and a recorded run would name the one before it.
    const scan = (n: number) => ['scan', '--no-history', '--output-dir', join(dir, `scan-${n}`)];
    const tty = await cli(scan(1), true);
    expect(tty.code).toBeLessThan(2);
    expect(tty.stderr).toBe(
      `${FRAME}scanning accounts: 0/2 done, 0 failed${FRAME}scanning accounts: 2/2 done, 0 failed\n`,
    );
    expect(tty.stdout).toMatch(/Inactive-user scan at/);
    expectNoProgress(tty.stdout, 'scanning accounts');

    const piped = await cli(scan(2), false);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe(tty.stdout.replaceAll('scan-1', 'scan-2'));

    const json = await cli(['--json', ...scan(3)], true);
    expect(json.stderr).toBe('');
    expect(json.json<{ accounts_analyzed: unknown[] }>().accounts_analyzed).toHaveLength(2);
  });

  it('report: the same account progress, off with --json', async () => {
    const tty = await cli(['report', 'cost'], true);
    expect(tty.stderr).toMatch(/scanning accounts: 2\/2 done, 0 failed\n$/);
    expectNoProgress(tty.stdout, 'scanning accounts');
    expect((await cli(['report', 'cost'], false)).stderr).toBe('');
    expect((await cli(['--json', 'report', 'cost'], true)).stderr).toBe('');
  });

  it('bulk-create: "rows: done/total (failed, left)", invalid rows counted as failed', async () => {
    const file = (name: string, n: number) => {
      const rows = Array.from({ length: n }, (_, i) => [
        `${name}${i}`,
        `${name}${i}@example.com`,
        'Eng',
        'readonly',
        '',
        '',
        '',
      ]);
      rows.push(['bad user', 'x@example.com', '', 'readonly', '', '', '']);
      const path = join(dir, `${name}.csv`);
      writeFileSync(path, stringify([[...BULK_COLUMNS], ...rows]));
      return path;
    };
    const tty = await cli(['bulk-create', '--file', file('tty', 4)], true);
    expect(tty.code).toBe(1);
    expect(tty.stderr).toBe(
      `${FRAME}rows: 0/5 done (1 failed, 4 left)${FRAME}rows: 4/5 done (1 failed, 0 left)\n`,
    );
    expect(tty.stdout).toMatch(/4 created, 0 unchanged, 0 planned, 1 failed or invalid of 5 rows/);
    expectNoProgress(tty.stdout, 'rows: ');

    const piped = await cli(['bulk-create', '--file', file('piped', 4)], false);
    expect(piped.stdout).toMatch(/4 created/);
    expect(piped.stderr).toBe('');

    const json = await cli(['--json', 'bulk-create', '--file', file('json', 4)], true);
    expect(json.json<{ summary: { created: number } }>().summary.created).toBe(4);
    expect(json.stderr).toBe('');
  });
});
