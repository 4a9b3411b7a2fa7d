import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddUserToGroupCommand, CreateLoginProfileCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/context.js';
import { MemoryAuditSink } from '../../src/core/audit.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/logger.js';
import { runCli } from '../helpers/cli.js';
import { createGroups, testConfig } from '../helpers/core.js';
import { type Moto, startMoto } from '../helpers/moto.js';

/**
 * `aws-user review start|list|export` against moto and the bot's SQLite file: the campaign the CLI starts is
 * in the store the bot reads, frozen; the export is every item, to stdout or to a file written whole.
 */
let moto: Moto;
let dir = '';
let cfg = '';
let plain = '';
const now = new Date(Date.now() + 200 * DAY_MS);
const sink = new MemoryAuditSink();

beforeAll(async () => {
  moto = await startMoto();
  dir = mkdtempSync(join(tmpdir(), 'aws-user-review-cli-'));
  const { source: _s, env: _e, ...file } = testConfig();
  cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ ...file, review: { fallback_reviewers: ['U0SECURITY'] } }));
  plain = join(dir, 'plain.json');
  writeFileSync(plain, JSON.stringify(file));
  const iam = moto.iam();
  await createGroups(iam, ['devs']);
  await iam.send(
    new CreateUserCommand({ UserName: '=alice', Tags: [{ Key: 'Manager', Value: 'carol@example.com' }] }),
  );
  await iam.send(new CreateLoginProfileCommand({ UserName: '=alice', Password: 'Initial-Pass-123!' }));
  await iam.send(new AddUserToGroupCommand({ UserName: '=alice', GroupName: 'devs' }));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

const deps = (): CliDeps => ({
  env: { USER: 'tester', DATA_DIR: dir },
  logger: silentLogger(),
  clock: fixedClock(now),
  auditSink: sink,
  clients: (config) => moto.clients(config.accounts),
});

describe('aws-user review', () => {
  it('start freezes the campaign into the store; list shows it; export writes every item', async () => {
    const started = await runCli(
      ['--config', cfg, '--json', 'review', 'start', '--name', 'Q1 2027', '--due', '14d'],
      deps(),
    );
    expect(started.code).toBe(0);
    const body = started.json<{
      campaign: { id: string; status: string; itemCount: number; dueAt: string };
    }>();
    expect(body.campaign).toMatchObject({
      status: 'created',
      itemCount: 2,
      dueAt: new Date(now.getTime() + 14 * DAY_MS).toISOString(),
    });
    const id = body.campaign.id;
    expect(sink.events.at(-1)).toMatchObject({ action: 'review.start', actor: 'cli:tester', target: id });

    const listed = await runCli(['--config', cfg, 'review', 'list'], deps());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`^${id}\\s+created\\s+due \\d{4}-\\d\\d-\\d\\d\\s+0/2 decided .*Q1 2027$`, 'm'),
    );

    const csv = await runCli(['--config', cfg, 'review', 'export', id], deps());
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    // The user name starts with "=": the cell is defused, never a formula.
    expect(csv.stdout).toContain("'=alice");

    const out = join(dir, 'report.json');
    const json = await runCli(
      ['--config', cfg, 'review', 'export', id, '--format', 'json', '--output', out],
      deps(),
    );
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(`wrote 2 items of ${id} to ${out}\n`);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ summary: { items: 2, undecided: 2 } });
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('checks the name and the accounts before it opens (or creates) the store', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'aws-user-review-cli-nostore-'));
    const d = { ...deps(), env: { USER: 'tester', DATA_DIR: fresh } };
    const longName = await runCli(['--config', cfg, 'review', 'start', '--name', 'x'.repeat(81)], d);
    expect(longName.code).toBe(2);
    expect(longName.stderr).toMatch(/--name/);
    const badAccount = await runCli(['--config', cfg, 'review', 'start', '--accounts', 'nowhere'], d);
    expect(badAccount.code).toBe(2);
    expect(readdirSync(fresh)).toEqual([]);
  });

  it('refuses, naming the fix, before anything is written', async () => {
    const before = sink.events.length;
    const unconfigured = await runCli(['--config', plain, 'review', 'start'], deps());
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/review\.fallback_reviewers/);
    const badDue = await runCli(['--config', cfg, 'review', 'start', '--due', 'soon'], deps());
    expect(badDue.code).toBe(2);
    expect(badDue.stderr).toMatch(/--due/);
    const badAccount = await runCli(['--config', cfg, 'review', 'start', '--accounts', 'nowhere'], deps());
    expect(badAccount.code).toBe(2);
    expect(badAccount.stderr).toMatch(/--accounts/);
    expect(sink.events.length).toBe(before);
    const missing = await runCli(['--config', cfg, 'review', 'export', 'rv-00000000'], deps());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no access-review campaign rv-00000000/);
    const format = await runCli(
      ['--config', cfg, 'review', 'export', 'rv-00000000', '--format', 'xlsx'],
      deps(),
    );
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format.*csv or json/);
  });
});
