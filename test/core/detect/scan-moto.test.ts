import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../../src/config.js';
import { AccountClients } from '../../../src/core/aws/accounts.js';
import { DAY_MS, fixedClock } from '../../../src/core/clock.js';
import { CSV_COLUMNS } from '../../../src/core/detect/findings-report.js';
import { silentLogger } from '../../../src/logger.js';
import { runCli } from '../../helpers/cli.js';
import { startFakeJira } from '../../helpers/fake-jira.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../../helpers/moto.js';
import { tempDataDir } from '../../helpers/store.js';

/**
 * End to end against moto: the real SDK, real AssumeRole into other account ids, real credential reports.
 *
 * The failed account: moto accepts any AssumeRole (it never checks trust policies or external ids), so
 * the "broken" account lives in a region whose STS endpoint is a tiny server answering every AssumeRole
 * exactly as AWS does when the trust policy or external id does not match: HTTP 403 with an
 * `AccessDenied` STS error document. The SDK parses it as it would AWS's, so the scan sees the same error
 * a misconfigured member account produces in production.
 */

const PROD = '222222222222';
const BROKEN = '333333333333';
const DENY_REGION = 'eu-west-3';

const ACCOUNTS: AccountConfig[] = [
  { id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' },
  {
    id: PROD,
    name: 'production',
    role_arn: `arn:aws:iam::${PROD}:role/aws-user-bot`,
    external_id: 'ext-prod',
    region: 'us-east-1',
  },
  {
    id: BROKEN,
    name: 'broken',
    role_arn: `arn:aws:iam::${BROKEN}:role/aws-user-bot`,
    external_id: 'wrong-external-id',
    region: DENY_REGION,
  },
];

function denyingSts(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::${MOTO_ACCOUNT}:user/bot is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${BROKEN}:role/aws-user-bot</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('aws-user scan against moto', () => {
  let moto: Moto;
  let deny: Server;
  let dir: string;
  let configPath: string;
  let clientsFor: (
    clock: ReturnType<typeof fixedClock>,
  ) => (config?: { accounts: AccountConfig[] }) => AccountClients;
  const realNow = new Date();

  beforeAll(async () => {
    moto = await startMoto();
    deny = await denyingSts();
    const denyUrl = `http://127.0.0.1:${(deny.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'aws-user-scan-'));
    configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        accounts: ACCOUNTS,
        templates: {},
        inactivity: { concurrency: 2 },
        keys: { max_age_days: 90, grace_days: 7, delete_after_days: 14 },
      }),
    );
    class Clients extends AccountClients {
      override sts(region?: string): STSClient {
        if (region === DENY_REGION)
          return new STSClient({ region, endpoint: denyUrl, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
        return super.sts(region);
      }
    }
    // Like the CLI's own: the clients manage the accounts of the config they are built from.
    clientsFor = (clock) => (config) =>
      new Clients(config?.accounts ?? ACCOUNTS, {
        endpoint: moto.endpoint,
        region: 'us-east-1',
        credentials: TEST_CREDENTIALS,
        maxAttempts: 2,
        clock,
      });

    // home account: alice uses her key; bob has a console he never used; carol has a key she never used.
    const iam = moto.iam();
    for (const u of ['alice', 'bob', 'carol']) {
      await iam.send(
        new CreateUserCommand({
          UserName: u,
          Tags: [
            { Key: 'Email', Value: `${u}@example.com` },
            { Key: 'Department', Value: u === 'bob' ? 'Finance' : 'Engineering' },
            { Key: 'CostCenter', Value: u === 'bob' ? 'CC-200' : 'CC-100' },
          ],
        }),
      );
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey;
    const asAlice = new IAMClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' },
    });
    await asAlice.send(new GetUserCommand({})); // a request signed with the key sets its last-used date
    await iam.send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'Initial-Passw0rd!' }));
    await iam.send(
      new AttachUserPolicyCommand({
        UserName: 'bob',
        PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    );
    await iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }));

    // production, reached through AssumeRole: dave has a console he never used.
    const prod = clientsFor(fixedClock(realNow))().iam(PROD);
    await prod.send(new CreateUserCommand({ UserName: 'dave' }));
    await prod.send(new CreateLoginProfileCommand({ UserName: 'dave', Password: 'Initial-Passw0rd!' }));
  });

  afterAll(async () => {
    await moto?.stop();
    deny?.close();
  });

  const env = () => ({ AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', DATA_DIR: tempDataDir() });

  it('finds nothing today in healthy accounts (exit 0), with the report age shown', async () => {
    const clock = fixedClock(realNow);
    const out = join(dir, 'today');
    const r = await runCli(
      ['--config', configPath, 'scan', '--accounts', `home,${PROD}`, '--output-dir', out],
      { env: env(), clock, clients: clientsFor(clock), logger: silentLogger() },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 finding\(s\)/);
    expect(r.stdout).toMatch(
      /\n {2}home +123456789012 +\d+ +0 +2015-02-02T20:02:02\.000Z +\d+ y \d+ d +STALE: older than 4 h\n/,
    );
  });

  it('200 days later: inactive key, never-used console and key, across accounts; the broken one fails → exit 2', async () => {
    const clock = fixedClock(new Date(realNow.getTime() + 200 * DAY_MS));
    const out = join(dir, 'later');
    const r = await runCli(['--config', configPath, '--json', 'scan', '--output-dir', out], {
      env: env(),
      clock,
      clients: clientsFor(clock),
      logger: silentLogger(),
    });
    expect(r.code).toBe(2);
    const body = r.json<{
      summary: { total_findings: number; high_severity: number; medium_severity: number };
      accounts_failed: { id: string; error: { message: string } }[];
      accounts_analyzed: { id: string; users: number }[];
      files: string[];
    }>();
    expect(body.accounts_failed.map((a) => a.id)).toEqual([BROKEN]);
    expect(body.accounts_failed[0]?.error.message).toMatch(/AccessDenied|not authorized/);
    expect(body.accounts_analyzed.map((a) => [a.id, a.users])).toEqual([
      [MOTO_ACCOUNT, 3],
      [PROD, 1],
    ]);
    expect(body.summary).toMatchObject({ total_findings: 4, high_severity: 2, medium_severity: 2 });

    const csvFile = readdirSync(out).find((f) => f.endsWith('.csv')) ?? '';
    const csv = readFileSync(join(out, csvFile), 'utf8');
    const [headerRow, ...rows] = parse(csv) as string[][];
    expect(headerRow).toEqual([...CSV_COLUMNS]);
    const byUser = rows.map((row) => `${row[1]}/${row[2]}:${row[4]}`).sort();
    expect(byUser).toEqual([
      `${MOTO_ACCOUNT}/alice:ACCESS_KEY_INACTIVE`,
      `${MOTO_ACCOUNT}/bob:CONSOLE_NEVER_USED`,
      `${MOTO_ACCOUNT}/carol:ACCESS_KEY_NEVER_USED`,
      `${PROD}/dave:CONSOLE_NEVER_USED`,
    ]);
    const bob = rows.find((row) => row[2] === 'bob');
    expect(bob?.[3]).toBe('bob@example.com');
    expect(bob?.[9]).toBe('Finance');
    expect(bob?.[7]).toBe('CC6.1; CC6.2; CC6.3');

    const jsonFile = readdirSync(out).find((f) => f.endsWith('.json')) ?? '';
    const doc = JSON.parse(readFileSync(join(out, jsonFile), 'utf8'));
    expect(Object.keys(doc)).toEqual([
      'analysis_date',
      'report_generated_at',
      'accounts_analyzed',
      'accounts_failed',
      'configuration',
      'summary',
      'history',
      'findings',
    ]);
    expect(doc.report_generated_at[PROD]).toBe('2015-02-02T20:02:02.000Z');
    expect(doc.findings).toHaveLength(4);
  });

  it('keeps finding ids stable across runs and exits 1 on findings when every account works', async () => {
    const clock = fixedClock(new Date(realNow.getTime() + 200 * DAY_MS));
    const run = () =>
      runCli(
        [
          '--config',
          configPath,
          '--json',
          'scan',
          '--accounts',
          'home,production',
          '--output-dir',
          join(dir, 'ids'),
          '--format',
          'json',
        ],
        {
          env: env(),
          clock,
          clients: clientsFor(clock),
          logger: silentLogger(),
        },
      );
    const a = await run();
    expect(a.code).toBe(1);
    clock.advance(DAY_MS);
    const b = await run();
    const ids = (r: typeof a) => {
      const file = r.json<{ files: string[] }>().files[0] ?? '';
      return (JSON.parse(readFileSync(file, 'utf8')).findings as { finding_id: string }[])
        .map((f) => f.finding_id)
        .sort();
    };
    expect(ids(b)).toEqual(ids(a));
  });

  it('narrows with thresholds: a 250-day key threshold drops the key findings', async () => {
    const clock = fixedClock(new Date(realNow.getTime() + 200 * DAY_MS));
    const r = await runCli(
      [
        '--config',
        configPath,
        '--json',
        'scan',
        '--accounts',
        'home',
        '--access-key-threshold',
        '250',
        '--output-dir',
        join(dir, 't'),
      ],
      { env: env(), clock, clients: clientsFor(clock), logger: silentLogger() },
    );
    expect(r.json<{ summary: { total_findings: number } }>().summary.total_findings).toBe(1);
  });

  it('--dry-run lists tickets, --create-tickets opens them once; a second run opens none', async () => {
    const jira = await startFakeJira({ email: 'bot@example.com', apiToken: 'tok' });
    try {
      const jiraConfig = join(dir, 'jira.json');
      writeFileSync(
        jiraConfig,
        JSON.stringify({
          accounts: ACCOUNTS.slice(0, 2),
          templates: {},
          jira: { base_url: jira.url, project_key: 'SEC', email: 'bot@example.com' },
        }),
      );
      const clock = fixedClock(new Date(realNow.getTime() + 200 * DAY_MS));
      const deps = {
        env: { ...env(), JIRA_API_TOKEN: 'tok' },
        clock,
        clients: clientsFor(clock),
        logger: silentLogger(),
      };
      const argv = (...extra: string[]) => [
        '--config',
        jiraConfig,
        'scan',
        '--output-dir',
        join(dir, 'jira'),
        ...extra,
      ];
      const dry = await runCli(argv('--dry-run'), deps);
      expect(dry.code).toBe(1);
      expect(dry.stdout).toMatch(/Jira: would create 2, already open 0, below HIGH 2/);
      expect(jira.issues).toHaveLength(0);
      const first = await runCli(argv('--create-tickets'), deps);
      expect(first.stdout).toMatch(/Jira: created 2, already open 0/);
      expect(first.stdout).toMatch(/SEC-\d fnd-[0-9a-f]{16} home\/bob CONSOLE_NEVER_USED/);
      const second = await runCli(argv('--create-tickets'), deps);
      expect(second.stdout).toMatch(/Jira: created 0, already open 2/);
      expect(jira.issues).toHaveLength(2);
    } finally {
      await jira.stop();
    }
  });

  it('report security/compliance/cost/access over the same accounts', async () => {
    const clock = fixedClock(new Date(realNow.getTime() + 200 * DAY_MS));
    const deps = { env: env(), clock, clients: clientsFor(clock), logger: silentLogger() };
    const sec = await runCli(
      ['--config', configPath, '--json', 'report', 'security', '--accounts', 'home'],
      deps,
    );
    expect(sec.code).toBe(0);
    const risks = sec.json<{ rows: string[][] }>().rows.map((row) => `${row[1]}:${row[2]}`);
    expect(risks).toEqual(expect.arrayContaining(['bob:ADMIN_ACCESS', 'bob:CONSOLE_WITHOUT_MFA']));

    const comp = await runCli(
      ['--config', configPath, 'report', 'compliance', '--accounts', 'home', '--format', 'csv'],
      deps,
    );
    expect(comp.stdout.split('\n')[0]).toBe('Account,Username,Check,Details,SOC2_Control');
    expect(comp.stdout).toMatch(/PASSWORD_POLICY,no password policy set/);
    expect(comp.stdout).toMatch(/alice,ACCESS_KEY_TOO_OLD/);

    const cost = await runCli(
      ['--config', configPath, '--json', 'report', 'cost', '--accounts', 'home'],
      deps,
    );
    expect(cost.json<{ rows: unknown[][] }>().rows).toEqual(
      expect.arrayContaining([
        [MOTO_ACCOUNT, 'CC-100', 'Engineering', 2, 0, 2],
        [MOTO_ACCOUNT, 'CC-200', 'Finance', 1, 1, 0],
      ]),
    );

    const access = await runCli(['--config', configPath, 'report', 'access'], deps);
    expect(access.code).toBe(2); // the broken account is named, not skipped
    expect(access.stdout).toMatch(/mfa percent: 0/);
    expect(access.stderr).toMatch(/broken \(333333333333\) could not be analysed/);
  });
});
