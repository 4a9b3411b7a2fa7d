import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { type AccountConfig, type Config, loadConfig } from '../../src/config.js';
import { Auditor, MemoryAuditSink } from '../../src/core/audit.js';
import { AccountClients } from '../../src/core/aws/accounts.js';
import { fixedClock } from '../../src/core/clock.js';
import { findingsDocument, findingsText } from '../../src/core/detect/findings-report.js';
import { buildReport } from '../../src/core/detect/reports.js';
import { scan } from '../../src/core/detect/scan.js';
import { silentLogger } from '../../src/logger.js';
import { digestMessage } from '../../src/views/digest.js';
import { runCli } from '../helpers/cli.js';
import { tempDataDir } from '../helpers/store.js';

/**
 * A credential-report row that cannot be read (its cell count differs from the header's, and the ARN does
 * not tell where the name ends) must never read as a user with nothing to report: it is named with its line
 * in the per-account scan, the CLI's text and JSON, the SOC 2 JSON and the digest, and the CLI exits 2.
 * A moto-style row with an unquoted comma in the name is repaired and its finding appears. The report is
 * written as AWS documents it, with TRUE/FALSE booleans.
 */

const ACCOUNT: AccountConfig = { id: '111111111111', name: 'sec', region: 'us-east-1' };
const NOW = new Date('2026-06-01T00:00:00Z');
const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
/** After the arn: a console last used 2025-01-01 (over 90 days before NOW), MFA on, no key. */
const REST =
  '2020-01-01T00:00:00+00:00,TRUE,2025-01-01T00:00:00+00:00,2020-01-01T00:00:00+00:00,N/A,TRUE,FALSE,N/A,N/A,N/A,N/A,FALSE,N/A,N/A,N/A,N/A,FALSE,N/A,FALSE,N/A';
const arn = (name: string) => `arn:aws:iam::${ACCOUNT.id}:user/${name}`;
const CSV = [
  HEADER,
  `<root_account>,arn:aws:iam::${ACCOUNT.id}:root,2014-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,TRUE,FALSE,N/A,N/A,N/A,N/A,FALSE,N/A,N/A,N/A,N/A,FALSE,N/A,FALSE,N/A`,
  `alice,${arn('alice')},${REST}`,
  `o,brien,${arn('o,brien')},${REST}`,
  `mangled,${arn('mangled')},${REST},surplus`,
].join('\n');

function mockedIam(): IAMClient {
  const iam = new IAMClient({ region: 'us-east-1' });
  const mock = mockClient(iam);
  mock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  mock.on(GetCredentialReportCommand).resolves({
    Content: new TextEncoder().encode(CSV),
    GeneratedTime: new Date('2026-05-31T23:00:00Z'),
    ReportFormat: 'text/csv',
  });
  mock.on(GetAccountAuthorizationDetailsCommand).resolves({ UserDetailList: [], IsTruncated: false });
  return iam;
}

class MockedClients extends AccountClients {
  private readonly client = mockedIam();
  override iam(accountId: string): IAMClient {
    this.resolve(accountId);
    return this.client;
  }
}

const clients = (config?: Pick<Config, 'accounts'>) =>
  new MockedClients(config?.accounts ?? [ACCOUNT], { region: 'us-east-1' });

async function scanned(includeUsers = false) {
  const dir = mkdtempSync(join(tmpdir(), 'aws-user-unreadable-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ accounts: [ACCOUNT], templates: {} }));
  const config = loadConfig({}, path);
  const clock = fixedClock(NOW);
  const logger = silentLogger();
  return scan(
    { config, clients: clients(), auditor: new Auditor(new MemoryAuditSink(), clock, logger), clock, logger },
    { includeUsers },
  );
}

describe('unreadable credential-report rows in every scan output', () => {
  it('the per-account scan lists the row with its line, and the repaired comma row still gives its finding', async () => {
    const result = await scanned(true);
    const [a] = result.accounts;
    expect(a?.unreadableRows).toEqual([
      {
        line: 5,
        user: 'mangled',
        reason: '23 cells where the header has 22, and the ARN does not tell where the user name ends',
      },
    ]);
    expect(a?.userCount).toBe(2);
    expect(result.findings.map((f) => `${f.userName}:${f.type}:${f.mfaEnabled}`).sort()).toEqual([
      'alice:CONSOLE_INACTIVE:true',
      'o,brien:CONSOLE_INACTIVE:true',
    ]);
    expect(a?.users?.map((u) => [u.userName, u.passwordEnabled, u.mfa])).toEqual([
      ['alice', true, true],
      ['o,brien', true, true],
    ]);

    expect(findingsText(result)).toMatch(
      /sec \(111111111111\) UNREADABLE: 1 credential report row\(s\) could not be read; those users were not checked:\n {4}line 5 \(user "mangled"\): 23 cells where the header has 22/,
    );
    expect(findingsDocument(result, 'HIGH').accounts_analyzed[0]?.unreadable_rows).toEqual(a?.unreadableRows);
    const sec = buildReport('security', { now: NOW, config: {} as never, accounts: result.accounts });
    expect(sec.accounts[0]?.unreadable_rows).toEqual(a?.unreadableRows);
    expect(sec.rows.filter((r) => r[1] === '<root_account>')).toEqual([]); // MFA TRUE, keys FALSE

    const digest = JSON.stringify(
      digestMessage({
        result,
        summary: { total_findings: 2, high_severity: 2, medium_severity: 0, low_severity: 0 },
      }).blocks,
    );
    expect(digest).toMatch(/1 unreadable report row\(s\), users not checked \(line 5\)/);
  });

  it('aws-user report names the row and exits 2 too, with ok:false in JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-user-unreadable-report-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ accounts: [ACCOUNT], templates: {} }));
    const deps = {
      env: { DATA_DIR: tempDataDir() },
      clock: fixedClock(NOW),
      clients,
      logger: silentLogger(),
    };

    const text = await runCli(['--config', configPath, 'report', 'security'], deps);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(
      /account sec \(111111111111\): credential report line 5 \(user "mangled"\).*; that user was not checked/,
    );
    const json = await runCli(['--config', configPath, '--json', 'report', 'access'], deps);
    expect(json.code).toBe(2);
    expect(json.json<{ ok: boolean }>().ok).toBe(false);
  });

  it('aws-user scan names the row in text and JSON and exits 2, like a failed account', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-user-unreadable-cli-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ accounts: [ACCOUNT], templates: {} }));
    const deps = {
      env: { DATA_DIR: tempDataDir() },
      clock: fixedClock(NOW),
      clients,
      logger: silentLogger(),
    };

    const text = await runCli(['--config', configPath, 'scan', '--output-dir', join(dir, 'text')], deps);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/UNREADABLE: 1 credential report row/);
    expect(text.stderr).toMatch(
      /account sec \(111111111111\): credential report line 5 \(user "mangled"\): 23 cells where the header has 22.*; that user was not checked/,
    );

    const out = join(dir, 'json');
    const json = await runCli(['--config', configPath, '--json', 'scan', '--output-dir', out], deps);
    expect(json.code).toBe(2);
    const body = json.json<{
      ok: boolean;
      unreadable_rows: unknown[];
      accounts_analyzed: { unreadable_rows: { line: number }[] }[];
      summary: { total_findings: number };
    }>();
    expect(body.ok).toBe(false);
    expect(body.summary.total_findings).toBe(2);
    expect(body.unreadable_rows).toEqual([
      {
        account_id: ACCOUNT.id,
        line: 5,
        user: 'mangled',
        reason: '23 cells where the header has 22, and the ARN does not tell where the user name ends',
      },
    ]);
    expect(body.accounts_analyzed[0]?.unreadable_rows.map((u) => u.line)).toEqual([5]);

    const file = readdirSync(out).find((f) => f.endsWith('.json')) ?? '';
    const doc = JSON.parse(readFileSync(join(out, file), 'utf8'));
    expect(doc.accounts_analyzed[0].unreadable_rows.map((u: { line: number }) => u.line)).toEqual([5]);
    expect(doc.findings.map((f: { username: string }) => f.username).sort()).toEqual(['alice', 'o,brien']);
  });
});
