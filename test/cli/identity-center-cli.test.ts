import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserCommand } from '@aws-sdk/client-iam';
import {
  CreateGroupCommand,
  DescribeUserCommand,
  type IdentitystoreClient,
  ListGroupMembershipsForMemberCommand,
} from '@aws-sdk/client-identitystore';
import { ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/context.js';
import { MemoryAuditSink } from '../../src/core/audit.js';
import type { Clock } from '../../src/core/clock.js';
import { createIdentityUser, MARKER_PREFIX } from '../../src/core/identity-center/people.js';
import { silentLogger } from '../../src/logger.js';
import { runCli } from '../helpers/cli.js';
import { testConfig, testCtx, who } from '../helpers/core.js';
import { type Moto, startMoto } from '../helpers/moto.js';

/**
 * `aws-user offboard --identity-center` and `aws-user sweep` for Identity Center users, against moto: the
 * CLI can retire the people the bot created in the Identity Store, as Slack can, with --dry-run and --json.
 */
let moto: Moto;
let ids: IdentitystoreClient;
let store = '';
let dir = '';
let cfg = '';
let plainCfg = '';
let nowMs = Date.parse('2025-03-01T10:00:00Z');
const clock: Clock = { now: () => new Date(nowMs) };
let sink = new MemoryAuditSink();

beforeAll(async () => {
  moto = await startMoto();
  ids = moto.identityStore();
  dir = mkdtempSync(join(tmpdir(), 'aws-user-ic-cli-'));
  const { source: _s, env: _e, ...file } = testConfig();
  cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ ...file, identity_center: { region: 'us-east-1' } }));
  plainCfg = join(dir, 'plain.json');
  writeFileSync(plainCfg, JSON.stringify(file));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  store = (await moto.ssoAdmin().send(new ListInstancesCommand({}))).Instances?.[0]?.IdentityStoreId ?? '';
  sink = new MemoryAuditSink();
  nowMs = Date.parse('2025-03-01T10:00:00Z');
});

const deps = (): CliDeps => ({
  env: { USER: 'tester', DATA_DIR: dir },
  logger: silentLogger(),
  clock,
  auditSink: sink,
  clients: (config) => moto.clients(config.accounts, { clock }),
});

async function jane(): Promise<string> {
  await ids.send(new CreateGroupCommand({ IdentityStoreId: store, DisplayName: 'Engineers' }));
  const ctx = testCtx(moto, { config: testConfig({ identity_center: { region: 'us-east-1' } }), clock });
  const r = await createIdentityUser(
    ctx,
    {
      userName: 'jane.doe',
      displayName: 'Jane Doe',
      givenName: 'Jane',
      familyName: 'Doe',
      email: 'jane@example.com',
      groups: ['Engineers'],
    },
    who,
  );
  return r.userId;
}

async function membershipCount(userId: string): Promise<number> {
  const out = await ids.send(
    new ListGroupMembershipsForMemberCommand({ IdentityStoreId: store, MemberId: { UserId: userId } }),
  );
  return out.GroupMemberships?.length ?? 0;
}

describe('aws-user offboard --identity-center', () => {
  it('--dry-run prints the plan and changes nothing; the real run cuts access and dates the deletion', async () => {
    const userId = await jane();
    const dry = await runCli(
      [
        '--config',
        cfg,
        'offboard',
        '--identity-center',
        '--username',
        'jane.doe',
        '--remove-after',
        '30',
        '--dry-run',
      ],
      deps(),
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^dry-run: jane\.doe \(Identity Center user /m);
    expect(dry.stdout).toMatch(/^ {2}DeleteGroupMembership UserName=jane\.doe GroupName=Engineers$/m);
    expect(dry.stdout).toMatch(
      new RegExp(`^ {2}CreateGroupMembership UserName=jane\\.doe GroupName=${MARKER_PREFIX}2025-04-01$`, 'm'),
    );
    expect(await membershipCount(userId)).toBe(1);

    const r = await runCli(
      [
        '--config',
        cfg,
        '--json',
        'offboard',
        '--identity-center',
        '--username',
        'jane.doe',
        '--remove-after',
        '30',
      ],
      deps(),
    );
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      ok: true,
      username: 'jane.doe',
      identity_center: true,
      status: 'offboarded',
      userId,
      removedGroups: ['Engineers'],
      deleteAfter: '2025-04-01',
    });
    expect(sink.events.at(-1)).toMatchObject({
      action: 'identity-center.user.offboard',
      outcome: 'success',
      actor: 'cli:tester',
    });
  });

  it('without --remove-after the deletion day comes from identity_center.remove_after_days, as in Slack', async () => {
    await jane();
    const { source: _s, env: _e, ...file } = testConfig();
    const sevenDays = join(dir, 'seven.json');
    writeFileSync(
      sevenDays,
      JSON.stringify({ ...file, identity_center: { region: 'us-east-1', remove_after_days: 7 } }),
    );
    const r = await runCli(
      ['--config', sevenDays, '--json', 'offboard', '--identity-center', '--username', 'jane.doe'],
      deps(),
    );
    expect(r.json()).toMatchObject({ status: 'offboarded', deleteAfter: '2025-03-09' });
  });

  it('refuses what cannot be meant, naming the flag or the config key, before any change', async () => {
    await jane();
    const withAccount = await runCli(
      ['--config', cfg, 'offboard', '--identity-center', '--username', 'jane.doe', '--account', 'prod'],
      deps(),
    );
    expect(withAccount.code).toBe(2);
    expect(withAccount.stderr).toMatch(/--account.*--identity-center/);

    const unconfigured = await runCli(
      ['--config', plainCfg, 'offboard', '--identity-center', '--username', 'jane.doe'],
      deps(),
    );
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/identity_center/);
    expect(sink.events).toEqual([]);
  });

  it('an IAM offboarding of a name only Identity Center knows says to add --identity-center', async () => {
    await jane();
    const r = await runCli(['--config', cfg, 'offboard', '--username', 'jane.doe'], deps());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Identity Center user.*--identity-center/);
    // An IAM user of the name is still offboarded as before.
    await moto.iam().send(new CreateUserCommand({ UserName: 'jane.doe' }));
    const iam = await runCli(['--config', cfg, 'offboard', '--username', 'jane.doe'], deps());
    expect(iam.code).toBe(0);
    expect(sink.events.at(-1)).toMatchObject({ action: 'user.offboard' });
  });
});

describe('aws-user sweep and Identity Center users', () => {
  it('deletes the users whose day has come (dry run first), and --only keys or --account leaves them', async () => {
    const userId = await jane();
    await runCli(
      ['--config', cfg, 'offboard', '--identity-center', '--username', 'jane.doe', '--remove-after', '0'],
      deps(),
    );
    nowMs = Date.parse('2025-03-03T00:00:00Z');
    const keysOnly = await runCli(['--config', cfg, '--json', 'sweep', '--only', 'keys'], deps());
    expect(keysOnly.json()).toMatchObject({ identity_center: null });
    const narrowed = await runCli(['--config', cfg, 'sweep', '--account', '123456789012'], deps());
    expect(narrowed.stdout).toMatch(/Identity Center users: not swept \(--account/);

    const dry = await runCli(['--config', cfg, 'sweep', '--dry-run'], deps());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Identity Center users due: 1 deleted$/m);
    expect(dry.stdout).toMatch(/^ {2}deleted jane\.doe \(Identity Center\)$/m);
    await expect(
      ids.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: userId })),
    ).resolves.toBeTruthy();

    const r = await runCli(['--config', cfg, '--json', 'sweep'], deps());
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      ok: true,
      identity_center: { deleted: [{ userId, userName: 'jane.doe' }], failed: [] },
    });
    await expect(
      ids.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: userId })),
    ).rejects.toThrow();
  });

  it('without identity_center configured the sweep says nothing of it', async () => {
    const r = await runCli(['--config', plainCfg, '--json', 'sweep'], deps());
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ identity_center: null });
    const text = await runCli(['--config', plainCfg, 'sweep'], deps());
    expect(text.stdout).not.toMatch(/Identity Center/);
  });
});
