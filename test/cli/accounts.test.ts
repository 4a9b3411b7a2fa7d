import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/context.js';
import type { AccountClients } from '../../src/core/aws/accounts.js';
import { silentLogger } from '../../src/logger.js';
import { createOrg, type OrgFixture } from '../core/aws/org-fixture.js';
import { runCli } from '../helpers/cli.js';
import { testConfig } from '../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

/**
 * `aws-user accounts` and `aws-user scan` over a moto organization: every ACTIVE account, the static
 * override of one (name, role, region) applied, a static account outside the organization kept, the
 * closed account dropped; --check names the account it cannot assume and exits 1.
 */
let moto: Moto;
let org: OrgFixture;
let dir: string;
const OUTSIDE = '444444444444';

function writeConfig(name: string, organization: Record<string, unknown>): string {
  const { source: _s, env: _e, ...file } = testConfig();
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      ...file,
      accounts: [
        {
          id: org.ids.staging,
          name: 'staging-by-hand',
          role_arn: `arn:aws:iam::${org.ids.staging}:role/custom`,
          region: 'us-east-1',
        },
        { id: OUTSIDE, name: 'outside', role_arn: `arn:aws:iam::${OUTSIDE}:role/x`, region: 'us-east-1' },
      ],
      organization,
    }),
  );
  return path;
}

let cfg: string;
beforeAll(async () => {
  moto = await startMoto();
  org = await createOrg(moto);
  dir = mkdtempSync(join(tmpdir(), 'aws-user-accounts-'));
  cfg = writeConfig('config.json', {
    role_name: 'aws-user-member',
    external_id: 'org-ext-1',
    region: 'eu-west-1',
    exclude_accounts: [org.ids.skip],
  });
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** moto's AssumeRole succeeds for any role; AWS refuses one that does not exist. */
function refuseRoleOf(clients: AccountClients, accountId: string): AccountClients {
  for (const region of ['eu-west-1', 'us-east-1']) {
    const sts = clients.sts(region);
    const send = sts.send.bind(sts) as (c: unknown) => Promise<unknown>;
    (sts as unknown as { send: (c: unknown) => Promise<unknown> }).send = (cmd: unknown) =>
      cmd instanceof AssumeRoleCommand && cmd.input.RoleArn?.includes(`::${accountId}:`)
        ? Promise.reject(
            Object.assign(new Error(`not authorized to perform: sts:AssumeRole on ${cmd.input.RoleArn}`), {
              name: 'AccessDenied',
            }),
          )
        : send(cmd);
  }
  return clients;
}

const deps = (refuse?: string): CliDeps => ({
  env: { USER: 'tester', DATA_DIR: dir },
  logger: silentLogger(),
  clients: (config) => {
    const c = moto.clients(config.accounts);
    return refuse ? refuseRoleOf(c, refuse) : c;
  },
});

describe('aws-user accounts', () => {
  it('--json lists every ACTIVE account of the organization with its source, the static override applied', async () => {
    const r = await runCli(['--config', cfg, '--json', 'accounts'], deps());
    expect(r.code).toBe(0);
    const body = r.json<{ ok: boolean; discovered_at: string; accounts: Record<string, unknown>[] }>();
    expect(body.ok).toBe(true);
    expect(body.discovered_at).toMatch(/^\d{4}-/);
    expect(body.accounts).toEqual([
      {
        id: org.ids.staging,
        name: 'staging-by-hand',
        source: 'config',
        region: 'us-east-1',
        role_arn: `arn:aws:iam::${org.ids.staging}:role/custom`,
      },
      {
        id: OUTSIDE,
        name: 'outside',
        source: 'config',
        region: 'us-east-1',
        role_arn: `arn:aws:iam::${OUTSIDE}:role/x`,
      },
      {
        id: org.ids.deep,
        name: 'deep',
        source: 'organization',
        region: 'eu-west-1',
        role_arn: `arn:aws:iam::${org.ids.deep}:role/aws-user-member`,
      },
      {
        id: org.ids.dev,
        name: 'dev',
        source: 'organization',
        region: 'eu-west-1',
        role_arn: `arn:aws:iam::${org.ids.dev}:role/aws-user-member`,
      },
      { id: MOTO_ACCOUNT, name: 'master', source: 'organization', region: 'eu-west-1', role_arn: null },
    ]);
  });

  it('prints a table, and --check names the account it cannot assume and exits 1', async () => {
    const plain = await runCli(['--config', cfg, 'accounts'], deps());
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^Account\s+Id\s+Source\s+Region\s+Role$/m);
    expect(plain.stdout).toMatch(/^master\s+123456789012\s+organization\s+eu-west-1\s+\(own credentials\)$/m);
    expect(plain.stdout).toMatch(/5 account\(s\): 2 from the config, 3 from the organization/);

    const r = await runCli(['--config', cfg, 'accounts', '--check'], deps(org.ids.dev));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`^dev\\s+${org.ids.dev}\\s+organization.*no: .*cannot assume.*AccessDenied`, 'm'),
    );
    expect(r.stdout).toMatch(/^deep\s+\d{12}\s+organization\s+eu-west-1\s+\S+\s+yes$/m);
    expect(r.stdout).toMatch(/1 unreachable/);

    const ok = await runCli(['--config', cfg, '--json', 'accounts', '--check'], deps());
    expect(ok.code).toBe(0);
    expect(ok.json<{ accounts: { reachable: boolean }[] }>().accounts.every((a) => a.reachable)).toBe(true);
  });

  it('exits 2 when discovery fails (an OU that does not exist), rather than list the static accounts alone', async () => {
    const bad = writeConfig('bad.json', {
      role_name: 'aws-user-member',
      include_ous: ['ou-zzzz-zzzzzzzz'],
    });
    const r = await runCli(['--config', bad, 'accounts'], deps());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/organization discovery failed .*organization in .*bad\.json/);
  });
});

describe('aws-user scan over the organization', () => {
  it('covers every ACTIVE account with the static overrides applied, and reports an unassumable one as failed', async () => {
    const out = join(dir, 'reports');
    const r = await runCli(
      ['--config', cfg, '--json', 'scan', '--no-history', '--output-dir', out],
      deps(OUTSIDE),
    );
    const body = r.json<{
      accounts_analyzed: string[];
      accounts_failed: { id: string; error: string }[];
    }>();
    expect(JSON.stringify(body.accounts_analyzed)).toContain(org.ids.staging);
    for (const id of [org.ids.staging, org.ids.deep, org.ids.dev, MOTO_ACCOUNT])
      expect(JSON.stringify(body.accounts_analyzed)).toContain(id);
    expect(JSON.stringify(body)).not.toContain(org.ids.gone);
    expect(JSON.stringify(body)).not.toContain(org.ids.skip);
    expect(JSON.stringify(body.accounts_failed)).toContain(OUTSIDE);
    expect(JSON.stringify(body.accounts_failed)).toMatch(/cannot assume/);
    expect(r.code).toBe(2);
  });
});
