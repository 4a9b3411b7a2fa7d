import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListUsersCommand } from '@aws-sdk/client-iam';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/context.js';
import { BULK_COLUMNS } from '../../src/core/users/bulk.js';
import { describeUser } from '../../src/core/users/describe.js';
import { runCli } from '../helpers/cli.js';
import { createGroups, MUTATING, recordCommands, testConfig, testCtx } from '../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

let moto: Moto;
let dir: string;
let cfgPath: string;
let sent: string[];
let deps: CliDeps;

beforeAll(async () => {
  moto = await startMoto();
  dir = mkdtempSync(join(tmpdir(), 'aws-user-cli-'));
  cfgPath = join(dir, 'config.json');
  const { source: _s, env: _e, ...file } = testConfig();
  writeFileSync(cfgPath, JSON.stringify(file));
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  const setup = testCtx(moto);
  await createGroups(setup.clients.iam(MOTO_ACCOUNT), ['Developers', 'ReadOnly', 'Extra']);
  sent = [];
  deps = {
    env: { USER: 'tester' },
    clients: () => {
      const c = moto.clients();
      recordCommands(c.iam(MOTO_ACCOUNT), sent);
      return c;
    },
  };
});

const cli = (args: string[], answers: string[] = []) => runCli(['--config', cfgPath, ...args], deps, answers);
const mutations = () => sent.filter((c) => MUTATING.test(c));
const users = async () =>
  ((await moto.iam().send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName ?? '').sort();
const jane = [
  '--username',
  'jane.doe',
  '--template',
  'developer',
  '--email',
  'jane@example.com',
  '--department',
  'Engineering',
];

describe('create-user', () => {
  it('creates a developer as in the README example; the password is not shown without --show-password', async () => {
    const r = await cli(['create-user', ...jane]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/created jane\.doe/);
    expect(r.stdout).toMatch(/NOT shown/);
    const snap = await describeUser(testCtx(moto), MOTO_ACCOUNT, 'jane.doe');
    expect(snap.groups.sort()).toEqual(['Developers', 'ReadOnly']);
    expect(snap.hasLoginProfile).toBe(true);
    expect(snap.tags.Department).toBe('Engineering');
    const again = await cli(['--json', 'create-user', ...jane]);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ ok: true, status: 'unchanged' });
  });

  it('prints the password once with --show-password, and in JSON only then; never on stderr or in the audit log', async () => {
    const auditLog = join(dir, 'audit.jsonl');
    const r = await cli([
      '--json',
      '--verbose',
      '--audit-log',
      auditLog,
      'create-user',
      ...jane,
      '--show-password',
    ]);
    expect(r.code).toBe(0);
    const out = r.json<{ password?: string; passwordGenerated: boolean }>();
    expect(out.password).toMatch(/.{20}/);
    expect(r.stderr).not.toContain(out.password);
    const trail = readFileSync(auditLog, 'utf8');
    expect(trail).toMatch(
      /"action":"user.create","account":"123456789012","target":"jane.doe","requestId":"[^"]+","outcome":"success"/,
    );
    expect(trail).not.toContain(out.password);
  });

  it('--dry-run prints the plan and makes no mutating call', async () => {
    const r = await cli(['create-user', ...jane, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CreateUser UserName=jane\.doe/);
    expect(r.stdout).toMatch(/CreateLoginProfile .*Password=<generated>/);
    expect(sent.length).toBeGreaterThan(0);
    expect(mutations()).toEqual([]);
    expect(await users()).toEqual([]);
  });

  it('exits 2 on bad input (leaving nothing), 1 on a conflicting existing user', async () => {
    const bad = await cli([
      'create-user',
      '--username',
      'bad name',
      '--template',
      'developer',
      '--email',
      'x@example.com',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/username: "bad name" is not a valid IAM user name/);
    expect((await cli(['create-user', ...jane.slice(0, 4), '--email', 'nope'])).code).toBe(2);
    expect((await cli(['create-user', '--username', 'x'])).code).toBe(2); // missing required options
    const acct = await cli(['create-user', ...jane, '--account', 'nowhere']);
    expect(acct.code).toBe(2);
    expect(acct.stderr).toMatch(/account: unknown account "nowhere"/);
    expect(await users()).toEqual([]);
    await cli(['create-user', ...jane]);
    const conflict = await cli(['create-user', ...jane.slice(0, 6), '--department', 'Sales']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/different configuration/);
  });
});

describe('mutating commands with --dry-run make no mutating call', () => {
  it.each([
    [['update-user', '--username', 'jane.doe', '--add-groups', 'Extra', '--tag', 'Team=Blue']],
    [['delete-user', '--username', 'jane.doe']],
    [['offboard', '--username', 'jane.doe', '--remove-after', '30']],
    [['rotate-keys', '--username', 'jane.doe']],
    [['rotate-keys', '--all', '--older-than', '1']],
    [['password-policy', 'apply']],
    [['sweep']],
    [['onboard', ...jane.map((a) => (a === 'jane.doe' ? 'new.hire' : a)), '--access-key', '--mfa']],
  ])('%j', async (args) => {
    await cli(['create-user', ...jane]);
    sent.length = 0;
    const before = JSON.stringify(await describeUser(testCtx(moto), MOTO_ACCOUNT, 'jane.doe'));
    const r = await cli([...args, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(mutations()).toEqual([]);
    expect(JSON.stringify(await describeUser(testCtx(moto), MOTO_ACCOUNT, 'jane.doe'))).toBe(before);
    expect(await users()).toEqual(['jane.doe']);
  });
});

describe('lifecycle through the CLI', () => {
  it('onboard with a key and MFA, then delete-user leaves nothing', async () => {
    const r = await cli(['onboard', ...jane, '--access-key', '--mfa', '--show-secret'], ['123456', '654321']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/secret access key \(shown once\)/);
    expect(r.stderr).toMatch(/Scan this QR code/);
    expect(r.stdout).toMatch(/MFA enabled/);
    await cli(['update-user', '--username', 'jane.doe', '--add-groups', 'Extra']);
    const snap = await describeUser(testCtx(moto), MOTO_ACCOUNT, 'jane.doe');
    expect(snap.mfaDevices).toHaveLength(1);
    expect(snap.accessKeys).toHaveLength(1);
    const d = await cli(['--json', 'delete-user', '--username', 'jane.doe']);
    expect(d.code).toBe(0);
    expect(d.json()).toMatchObject({ status: 'deleted' });
    expect(await users()).toEqual([]);
  });

  it('rotate-keys without --show-secret says the secret was not shown; usage errors exit 2', async () => {
    await cli(['onboard', ...jane, '--access-key']);
    const rerun = await cli(['onboard', ...jane, '--access-key']); // idempotent: no second key
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/access key not created: jane\.doe already has 1/);
    const r = await cli(['rotate-keys', '--username', 'jane.doe']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/secret NOT shown/);
    expect((await cli(['rotate-keys', '--all'])).code).toBe(2);
    expect((await cli(['rotate-keys'])).code).toBe(2);
    expect((await cli(['rotate-keys', '--username', 'jane.doe'])).code).toBe(1); // 2 active keys: refused
  });

  it('offboard then sweep with JSON output', async () => {
    await cli(['create-user', ...jane]);
    const off = await cli(['--json', 'offboard', '--username', 'jane.doe', '--remove-after', '0']);
    expect(off.json()).toMatchObject({ status: 'offboarded' });
    const s = await cli(['--json', 'sweep']);
    expect(s.code).toBe(0);
    expect(s.json()).toMatchObject({ offboarded: { deleted: [{ username: 'jane.doe' }] } });
    expect(await users()).toEqual([]);
  });

  it('enable-mfa gives up after three rejected tries (malformed codes) and removes the device', async () => {
    await cli(['create-user', ...jane]);
    const r = await cli(['enable-mfa', '--username', 'jane.doe'], ['1', '2', 'abc', 'def', '12', '34']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/MFA NOT enabled/);
    const snap = await describeUser(testCtx(moto), MOTO_ACCOUNT, 'jane.doe');
    expect(snap.mfaDevices).toEqual([]);
  });
});

describe('bulk-create', () => {
  function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  it('a 1,000-row CSV with 10 bad rows creates 990 users, reports the 10 with line numbers and exits 1', async () => {
    const rows: string[][] = [];
    const bad = new Set([7, 100, 250, 333, 480, 512, 640, 777, 901, 1000]);
    for (let i = 1; i <= 1000; i++) {
      if (!bad.has(i))
        rows.push([`user${i}`, `user${i}@example.com`, 'Eng', 'readonly', i % 3 ? '' : 'Extra', '', 'CC1']);
      else if (i % 2) rows.push([`user ${i}`, `user${i}@example.com`, 'Eng', 'readonly', '', '', '']);
      else rows.push([`user${i}`, `not-an-email-${i}`, 'Eng', 'readonly', '', '', '']);
    }
    const path = file('thousand.csv', stringify([[...BULK_COLUMNS], ...rows]));
    const r = await cli(['--json', 'bulk-create', '--file', path, '--concurrency', '16']);
    expect(r.code).toBe(1);
    const out = r.json<{
      summary: { created: number; failed: number };
      invalid: { line: number; error: string }[];
    }>();
    expect(out.summary).toMatchObject({ created: 990, failed: 10 });
    expect(out.invalid.map((e) => e.line)).toEqual([...bad].map((i) => i + 1)); // header is line 1
    expect((await users()).length).toBe(990);
    expect(JSON.stringify(out)).not.toMatch(/"password"/);
  }, 180_000);

  it('wrong header, empty file and a 10 MB file exit 1 and create nothing', async () => {
    for (const [name, text] of [
      ['wrong.csv', 'user,mail\na,b\n'],
      ['empty.csv', ''],
      ['big.csv', `${BULK_COLUMNS.join(',')}\n${'a,a@example.com,Eng,readonly,,,\n'.repeat(350_000)}`],
    ] as const) {
      const r = await cli(['bulk-create', '--file', file(name, text)]);
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toMatch(
        /line \d+: invalid: (header must be exactly|file is empty|file is larger than 10 MB)/,
      );
    }
    expect(mutations()).toEqual([]);
    expect(await users()).toEqual([]);
  });

  it('--all-or-nothing creates nothing when a row is bad; --dry-run creates nothing', async () => {
    const text = stringify([
      [...BULK_COLUMNS],
      ['ok1', 'ok1@example.com', 'Eng', 'developer', '', '', ''],
      ['ok1', 'dup@example.com', 'Eng', 'developer', '', '', ''],
    ]);
    const r = await cli(['bulk-create', '--file', file('dup.csv', text), '--all-or-nothing']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/line 3: invalid: duplicate username "ok1" \(first on line 2\)/);
    expect(r.stdout).toMatch(/nothing created/);
    const d = await cli([
      'bulk-create',
      '--file',
      file(
        'one.csv',
        stringify([[...BULK_COLUMNS], ['ok2', 'ok2@example.com', '', 'developer', '', '', '']]),
      ),
      '--dry-run',
    ]);
    expect(d.code).toBe(0);
    expect(mutations()).toEqual([]);
    expect(await users()).toEqual([]);
  });
});
