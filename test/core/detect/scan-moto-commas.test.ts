import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../../src/config.js';
import { AccountClients } from '../../../src/core/aws/accounts.js';
import { DAY_MS, fixedClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/logger.js';
import { runCli } from '../../helpers/cli.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../../helpers/moto.js';
import { tempDataDir } from '../../helpers/store.js';

/**
 * IAM user names may hold commas ([\w+=,.@-]+), and so may paths. moto writes such names unquoted in the
 * credential report (AWS quotes them), which shifts every later column of the row. The scan rejoins the
 * cells by the ARN and the findings still appear, under the right name, with no unreadable row.
 */

const ACCOUNTS: AccountConfig[] = [{ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' }];

describe('scan against moto: user names with commas', () => {
  let moto: Moto;
  let configPath: string;
  let dir: string;
  const realNow = new Date();

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), 'aws-user-commas-'));
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ accounts: ACCOUNTS, templates: {} }));
    const iam = moto.iam();
    await iam.send(new CreateUserCommand({ UserName: 'o,brien' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'o,brien', Password: 'Initial-Passw0rd!' }));
    await iam.send(new CreateUserCommand({ UserName: 'a,b,c', Path: '/team,x/' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'a,b,c' }));
    await iam.send(new CreateUserCommand({ UserName: 'plain' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'plain' }));
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it('moto really writes the names unquoted (the shift this guards against)', async () => {
    const iam = moto.iam();
    await iam.send(new GenerateCredentialReportCommand({}));
    const out = await iam.send(new GetCredentialReportCommand({}));
    const csv = Buffer.from(out.Content ?? new Uint8Array()).toString('utf8');
    expect(csv).toMatch(/^o,brien,arn:aws:iam::\d+:user\/o,brien,/m);
    expect(csv).toMatch(/^a,b,c,arn:aws:iam::\d+:user\/team,x\/a,b,c,/m);
  });

  it('200 days later the comma users get their findings, under their names; nothing unreadable', async () => {
    const clock = fixedClock(new Date(realNow.getTime() + 200 * DAY_MS));
    const r = await runCli(['--config', configPath, '--json', 'scan', '--output-dir', join(dir, 'out')], {
      env: { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', DATA_DIR: tempDataDir() },
      clock,
      clients: (config) =>
        new AccountClients(config.accounts, {
          endpoint: moto.endpoint,
          region: 'us-east-1',
          credentials: TEST_CREDENTIALS,
          maxAttempts: 2,
          clock,
        }),
      logger: silentLogger(),
    });
    const body = r.json<{
      unreadable_rows: unknown[];
      accounts_analyzed: { users: number }[];
      files: string[];
    }>();
    const json = body.files.find((f) => f.endsWith('.json')) ?? '';
    const findings = JSON.parse(readFileSync(json, 'utf8')).findings as {
      username: string;
      user_arn: string;
      finding_type: string;
    }[];
    expect(findings.map((f) => `${f.username}|${f.user_arn.split(':')[5]}|${f.finding_type}`).sort()).toEqual(
      [
        'a,b,c|user/team,x/a,b,c|ACCESS_KEY_NEVER_USED',
        'o,brien|user/o,brien|CONSOLE_NEVER_USED',
        'plain|user/plain|ACCESS_KEY_NEVER_USED',
      ],
    );
    expect(body.unreadable_rows).toEqual([]);
    expect(body.accounts_analyzed[0]?.users).toBe(3);
    expect(r.code).toBe(1);
  });
});
