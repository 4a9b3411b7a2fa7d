import { type ChildProcess, spawn } from 'node:child_process';
import { IAMClient } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { STSClient } from '@aws-sdk/client-sts';
import type { AccountConfig } from '../../src/config.js';
import { AccountClients } from '../../src/core/aws/accounts.js';
import { freePort, waitFor } from './ports.js';

/** moto's default account for the static test credentials below. */
export const MOTO_ACCOUNT = '123456789012';
export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'test-secret-not-real',
};

export interface Moto {
  endpoint: string;
  port: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
  iam(): IAMClient;
  sts(): STSClient;
  /** Raw clients for arranging a test (moto's default account is the organization's management account). */
  organizations(): OrganizationsClient;
  ssoAdmin(): SSOAdminClient;
  identityStore(): IdentitystoreClient;
  clients(
    accounts?: AccountConfig[],
    opts?: { clock?: import('../../src/core/clock.js').Clock; homeAccountId?: string },
  ): AccountClients;
}

/**
 * A real moto_server on a free port, one per test file (so files never see each other's users), with
 * AWS-managed policies loaded so templates can attach arn:aws:iam::aws:policy/… ARNs.
 */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let proc: ChildProcess;
  try {
    proc = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new Error(
      `cannot start moto_server (pip install 'moto[server]==5.2.1'): ${(err as Error).message}`,
    );
  }
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', (err) => {
    stderr += `\nspawn error: ${err.message}`;
  });
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
      return (await fetch(`${endpoint}/moto-api/`)).ok;
    },
    30_000,
    `moto_server on ${endpoint} (${stderr})`,
  );
  const base = { region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS };
  return {
    endpoint,
    port,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
    },
    iam: () => new IAMClient(base),
    sts: () => new STSClient(base),
    organizations: () => new OrganizationsClient(base),
    ssoAdmin: () => new SSOAdminClient(base),
    identityStore: () => new IdentitystoreClient(base),
    clients: (accounts = [], opts = {}) =>
      new AccountClients(accounts, {
        endpoint,
        region: 'us-east-1',
        credentials: TEST_CREDENTIALS,
        maxAttempts: 3,
        // What resolveHomeAccountId learns from moto's GetCallerIdentity for these credentials.
        homeAccountId: opts.homeAccountId ?? MOTO_ACCOUNT,
        ...(opts.clock ? { clock: opts.clock } : {}),
      }),
  };
}
