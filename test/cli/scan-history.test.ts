import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClients } from '../../src/core/aws/accounts.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/logger.js';
import { runCli } from '../helpers/cli.js';
import { type FakeJira, startFakeJira } from '../helpers/fake-jira.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';

interface JsonFinding {
  finding_id: string;
  username: string;
  finding_type: string;
  status: string;
  first_seen: string | null;
  resolved_at?: string | null;
  resolution?: { reason: string; text: string } | null;
}
interface ScanJson {
  history: { recorded: boolean; new_findings: number; resolved_findings: number; reason?: string };
  resolved?: JsonFinding[];
  files: string[];
  tickets_closed: { closed: { key: string; findingId: string }[] } | null;
}

/**
 * Issue 15's "done when": two scans against moto with a user deleted between them. The second marks that
 * user's finding RESOLVED with the reason, and its Jira ticket in the fake Jira is commented and moved to
 * Done through the transition the workflow offers. Each CLI run opens the store afresh, as separate
 * processes would.
 */
describe('aws-user scan keeps a finding history', () => {
  let moto: Moto;
  let jira: FakeJira;
  let dir: string;
  let config: string;
  let frankKey: string | undefined;
  const start = new Date();

  beforeAll(async () => {
    moto = await startMoto();
    // A workflow whose Done transition is "Close" (id 41): the integration must look it up.
    jira = await startFakeJira({
      email: 'bot@example.com',
      apiToken: 'tok',
      transitions: [
        { id: '5', name: 'Start', category: 'indeterminate' },
        { id: '41', name: 'Close', category: 'done' },
      ],
    });
    // Not tempDataDir(): that one goes after each test, and these share one store across two tests.
    dir = mkdtempSync(join(tmpdir(), 'aws-user-history-'));
    config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        accounts: [{ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' }],
        templates: {},
        jira: { base_url: jira.url, project_key: 'SEC', email: 'bot@example.com' },
      }),
    );
    const iam = moto.iam();
    // erin: a console never used (HIGH, ticketed); frank: a key never used (MEDIUM); gina: both, and stays.
    for (const u of ['erin', 'frank', 'gina']) await iam.send(new CreateUserCommand({ UserName: u }));
    for (const u of ['erin', 'gina'])
      await iam.send(new CreateLoginProfileCommand({ UserName: u, Password: 'Initial-Passw0rd!' }));
    for (const u of ['frank', 'gina']) {
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: u }));
      if (u === 'frank') frankKey = key.AccessKey?.AccessKeyId;
    }
  });

  afterAll(async () => {
    await moto?.stop();
    await jira?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const at = (days: number) => {
    const clock = fixedClock(new Date(start.getTime() + days * DAY_MS));
    return {
      env: { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', DATA_DIR: dir, JIRA_API_TOKEN: 'tok' },
      clock,
      clients: (c?: { accounts: { id: string; name: string; region: string }[] }) =>
        new AccountClients(c?.accounts ?? [], {
          endpoint: moto.endpoint,
          region: 'us-east-1',
          credentials: TEST_CREDENTIALS,
          clock,
        }),
      logger: silentLogger(),
    };
  };
  const scan = (days: number, ...extra: string[]) =>
    runCli(
      [
        '--config',
        config,
        '--json',
        'scan',
        '--output-dir',
        join(dir, `out-${days}`),
        '--create-tickets',
        ...extra,
      ],
      at(days),
    );

  it('resolves the deleted user’s finding with the reason, closes its ticket, and reopens it as new', async () => {
    const first = await scan(200);
    expect(first.code).toBe(1);
    const one = first.json<ScanJson>();
    expect(one.history).toMatchObject({ recorded: true, new_findings: 4, resolved_findings: 0 });
    const erinTicket = jira.issues.find((i) => i.fields.summary.includes('erin'));
    expect(erinTicket?.statusCategory).toBe('new');

    // Between the scans: erin is deleted, frank's key is deactivated.
    const iam = moto.iam();
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'erin' }));
    await iam.send(new DeleteUserCommand({ UserName: 'erin' }));
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: 'frank', AccessKeyId: frankKey, Status: 'Inactive' }),
    );

    const second = await scan(201, '--include-resolved');
    const two = second.json<ScanJson>();
    expect(two.history).toMatchObject({ recorded: true, new_findings: 0, resolved_findings: 2 });
    expect(
      two.resolved?.map((f) => [f.username, f.finding_type, f.status, f.resolution?.reason]).sort(),
    ).toEqual([
      ['erin', 'CONSOLE_NEVER_USED', 'RESOLVED', 'user-deleted'],
      ['frank', 'ACCESS_KEY_NEVER_USED', 'RESOLVED', 'key-deactivated'],
    ]);
    expect(two.resolved?.find((f) => f.username === 'erin')).toMatchObject({
      first_seen: new Date(start.getTime() + 200 * DAY_MS).toISOString(),
      resolved_at: new Date(start.getTime() + 201 * DAY_MS).toISOString(),
      resolution: { text: 'IAM user erin no longer exists (deleted)' },
    });
    // The ticket: commented with how it resolved, and moved through the workflow's own Done transition.
    expect(erinTicket?.statusCategory).toBe('done');
    expect(JSON.stringify(erinTicket?.comments)).toContain('IAM user erin no longer exists (deleted)');
    expect(
      jira.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/transitions')).map((r) => r.body),
    ).toEqual([expect.objectContaining({ transition: { id: '41' } })]);
    expect(two.tickets_closed?.closed.map((c) => c.key)).toEqual([erinTicket?.key]);
    // The CSV carries the resolved row with Status RESOLVED and why, after the open ones.
    const csv = parse(readFileSync(two.files.find((f) => f.endsWith('.csv')) as string, 'utf8'), {
      columns: true,
    }) as Record<string, string>[];
    const erinRow = csv.find((r) => r.Username === 'erin');
    expect(erinRow?.Status).toBe('RESOLVED');
    expect(erinRow?.Details).toContain('RESOLVED');
    expect(erinRow?.Details).toContain('no longer exists (deleted)');
    expect(csv.filter((r) => r.Status === 'OPEN').map((r) => r.Username)).toEqual(['gina', 'gina']);

    // Without --include-resolved the resolved finding is counted, not listed; a run with nothing new resolves nothing.
    const third = await scan(202);
    expect(third.json<ScanJson>().history).toMatchObject({ new_findings: 0, resolved_findings: 0 });
    expect(third.json<ScanJson>().resolved).toBeUndefined();

    // erin comes back with the same unused console: the same finding opens again, with a new ticket.
    await iam.send(new CreateUserCommand({ UserName: 'erin' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'erin', Password: 'Initial-Passw0rd!' }));
    const fourth = await scan(203 + 200);
    expect(fourth.json<ScanJson>().history).toMatchObject({ new_findings: 1 });
    const erinTickets = jira.issues.filter((i) => i.fields.summary.includes('erin'));
    expect(erinTickets.map((i) => i.statusCategory)).toEqual(['done', 'new']);
  });

  it('a scan at other thresholds records nothing; --include-resolved with them is refused, naming the fix', async () => {
    const before = await runCli(
      ['--config', config, '--json', 'scan', '--output-dir', join(dir, 'o1')],
      at(500),
    );
    const runsBefore = before.json<ScanJson>().history;
    expect(runsBefore.recorded).toBe(true);
    const other = await runCli(
      ['--config', config, '--json', 'scan', '--output-dir', join(dir, 'o2'), '--console-threshold', '5000'],
      at(501),
    );
    expect(other.json<ScanJson>().history).toEqual({
      recorded: false,
      reason: 'thresholds differ from the config, so this run is not recorded',
    });
    // The console findings it does not report were not resolved by it.
    const after = await runCli(
      ['--config', config, '--json', 'scan', '--output-dir', join(dir, 'o3'), '--include-resolved'],
      at(502),
    );
    expect(after.json<ScanJson>().history).toMatchObject({ recorded: true, resolved_findings: 0 });
    const refused = await runCli(
      ['--config', config, 'scan', '--include-resolved', '--access-key-threshold', '30'],
      at(503),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--include-resolved');
    expect(refused.stderr).toContain('drop --console-threshold/--access-key-threshold');
  });
});
