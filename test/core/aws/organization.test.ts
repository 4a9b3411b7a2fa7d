import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../../src/config.js';
import {
  discoverAccounts,
  mergeAccounts,
  refreshOrganization,
  startDiscovery,
} from '../../../src/core/aws/organization.js';
import { fixedClock } from '../../../src/core/clock.js';
import { failedAccounts, scan } from '../../../src/core/detect/scan.js';
import { AccountFailedError, ValidationError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import { testCtx } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';
import { createOrg, type OrgFixture, orgConfig } from './org-fixture.js';

let moto: Moto;
let org: OrgFixture;
beforeAll(async () => {
  moto = await startMoto();
  org = await createOrg(moto);
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

const role = (id: string) => `arn:aws:iam::${id}:role/aws-user-member`;

describe('mergeAccounts', () => {
  const a = (id: string, name: string, extra: Partial<AccountConfig> = {}): AccountConfig => ({
    id,
    name,
    region: 'us-east-1',
    ...extra,
  });

  it('keeps every static entry as written (it overrides the discovered one), then the rest of the organization', () => {
    const staticProd = a('222222222222', 'prod-by-hand', {
      role_arn: 'arn:aws:iam::222222222222:role/custom',
      region: 'eu-central-1',
    });
    const lonely = a('333333333333', 'not-in-org');
    const merged = mergeAccounts(
      [staticProd, lonely],
      [a('111111111111', 'dev', { role_arn: role('111111111111') }), a('222222222222', 'prod')],
    );
    expect(merged).toEqual([
      { account: staticProd, source: 'config' },
      { account: lonely, source: 'config' },
      { account: a('111111111111', 'dev', { role_arn: role('111111111111') }), source: 'organization' },
    ]);
  });
});

describe('discoverAccounts (moto organization)', () => {
  it('pages through ListAccounts and keeps the ACTIVE accounts, each reached through role_name with the external id', async () => {
    // A page of 2 makes moto page (AWS: at most 20): 5 ACTIVE accounts need 3 pages.
    const found = await discoverAccounts(moto.organizations(), orgConfig(), MOTO_ACCOUNT, 2);
    expect(found.map((f) => f.name)).toEqual(['deep', 'dev', 'master', 'skip', 'staging']);
    expect(found.find((f) => f.name === 'gone')).toBeUndefined();
    expect(found.find((f) => f.name === 'dev')).toEqual({
      id: org.ids.dev,
      name: 'dev',
      region: 'eu-west-1',
      role_arn: role(org.ids.dev),
      external_id: 'org-ext-1',
    });
    // The management account is the bot's home: its own credentials, no role.
    expect(found.find((f) => f.name === 'master')).toEqual({
      id: MOTO_ACCOUNT,
      name: 'master',
      region: 'eu-west-1',
    });
  });

  it('drops exclude_accounts', async () => {
    const found = await discoverAccounts(
      moto.organizations(),
      orgConfig({ exclude_accounts: [org.ids.skip] }),
      MOTO_ACCOUNT,
    );
    expect(found.map((f) => f.name)).toEqual(['deep', 'dev', 'master', 'staging']);
  });

  it('include_ous takes each OU with its subtree (nested OUs), through ListAccountsForParent', async () => {
    const found = await discoverAccounts(
      moto.organizations(),
      orgConfig({ include_ous: [org.prodOu] }),
      MOTO_ACCOUNT,
      1,
    );
    expect(found.map((f) => f.name)).toEqual(['deep', 'dev']);
    const inner = await discoverAccounts(
      moto.organizations(),
      orgConfig({ include_ous: [org.innerOu, org.root] }),
      MOTO_ACCOUNT,
    );
    // The root's subtree is everything ACTIVE; an account reached twice is listed once.
    expect(inner.map((f) => f.name)).toEqual(['deep', 'dev', 'master', 'skip', 'staging']);
  });

  it('names what the home account needs when Organizations refuses', async () => {
    const refusing = moto.organizations();
    refusing.send = (async () => {
      throw Object.assign(new Error('You don’t have permissions to access this resource.'), {
        name: 'AccessDeniedException',
      });
    }) as OrganizationsClient['send'];
    const err = await discoverAccounts(refusing, orgConfig(), MOTO_ACCOUNT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountFailedError);
    expect(String((err as Error).message)).toMatch(
      /AccessDeniedException.*management account or a delegated administrator.*discover-organization\.json/,
    );
  });
});

describe('AccountClients with a discovered list', () => {
  it('serves the merged list to managed(), select() and resolve(), with each account’s source', async () => {
    const overridden = {
      id: org.ids.staging,
      name: 'staging-by-hand',
      role_arn: `arn:aws:iam::${org.ids.staging}:role/custom`,
      region: 'ap-southeast-2',
    };
    const outside = { id: '444444444444', name: 'outside', region: 'us-east-1' };
    const clients = moto.clients([overridden, outside]);
    expect(clients.managed().map((a) => a.id)).toEqual([org.ids.staging, '444444444444']);
    await refreshOrganization(clients, orgConfig(), fixedClock(new Date('2026-01-02T03:04:05Z')));
    expect(clients.discoveredAt?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(clients.managed().map((a) => `${a.name}:${clients.sourceOf(a.id)}`)).toEqual([
      'staging-by-hand:config',
      'outside:config',
      'deep:organization',
      'dev:organization',
      'master:organization',
      'skip:organization',
    ]);
    expect(clients.resolve(org.ids.staging)).toBe(overridden);
    expect(clients.resolve('dev').role_arn).toBe(role(org.ids.dev));
    expect(clients.select().length).toBe(6);
    // The home account is the organization's entry (no role), reached with the bot's own credentials.
    expect(clients.home).toEqual({ id: MOTO_ACCOUNT, name: 'master', region: 'eu-west-1' });
  });

  it('forgets an account that leaves the organization at the next refresh', async () => {
    const clients = moto.clients([]);
    await refreshOrganization(clients, orgConfig(), fixedClock(new Date()));
    expect(clients.resolve('skip').id).toBe(org.ids.skip);
    clients.setDiscovered(
      clients.managed().filter((a) => a.id !== org.ids.skip),
      new Date(),
    );
    expect(() => clients.resolve('skip')).toThrow(ValidationError);
    expect(clients.managed().map((a) => a.name)).toEqual(['deep', 'dev', 'master', 'staging']);
  });

  it('scan covers every ACTIVE account with the static overrides applied, and reports an unassumable one as failed', async () => {
    const ctx = testCtx(moto);
    const overridden = { id: org.ids.staging, name: 'staging-by-hand', region: 'us-east-1' };
    ctx.clients = moto.clients([overridden]);
    await refreshOrganization(ctx.clients, orgConfig(), fixedClock(new Date()));
    // moto's AssumeRole succeeds for a role that does not exist; AWS answers AccessDenied.
    const sts = ctx.clients.sts('eu-west-1') as STSClient;
    const send = sts.send.bind(sts) as (c: unknown) => Promise<unknown>;
    (sts as unknown as { send: (c: unknown) => Promise<unknown> }).send = (cmd: unknown) =>
      cmd instanceof AssumeRoleCommand && cmd.input.RoleArn === role(org.ids.deep)
        ? Promise.reject(
            Object.assign(new Error(`not authorized to perform: sts:AssumeRole on ${role(org.ids.deep)}`), {
              name: 'AccessDenied',
            }),
          )
        : send(cmd);
    const result = await scan(ctx, {});
    expect(result.accounts.map((a) => a.accountName).sort()).toEqual([
      'deep',
      'dev',
      'master',
      'skip',
      'staging-by-hand',
    ]);
    const failed = failedAccounts(result);
    expect(failed.map((a) => a.accountName)).toEqual(['deep']);
    expect(failed[0]?.error?.message).toMatch(/cannot assume .*aws-user-member.*AccessDenied/);
  });
});

describe('startDiscovery', () => {
  it('keeps the static list when discovery fails, logs it, and retries sooner than refresh_minutes', async () => {
    let logs = '';
    const logger = createLogger('info', {
      write: (c: string) => {
        logs += c;
        return true;
      },
    } as unknown as NodeJS.WritableStream);
    const delays: number[] = [];
    let fire: (() => void) | undefined;
    const timers = {
      setTimeout: ((fn: () => void, ms: number) => {
        delays.push(ms);
        fire = fn;
        return { unref() {} };
      }) as unknown as typeof setTimeout,
      clearTimeout: (() => undefined) as unknown as typeof clearTimeout,
    };
    let failing = true;
    const flaky = moto.organizations();
    const send = flaky.send.bind(flaky) as (c: unknown) => Promise<unknown>;
    flaky.send = ((cmd: unknown) =>
      failing ? Promise.reject(new Error('connect ETIMEDOUT')) : send(cmd)) as OrganizationsClient['send'];
    const clients = moto.clients([{ id: '444444444444', name: 'outside', region: 'us-east-1' }], {
      homeAccountId: MOTO_ACCOUNT,
    });
    const target = {
      get home() {
        return clients.home;
      },
      organizations: () => flaky,
      setDiscovered: clients.setDiscovered.bind(clients),
    };
    const timer = startDiscovery(
      target,
      orgConfig({ refresh_minutes: 30 }),
      fixedClock(new Date()),
      logger,
      timers,
    );
    await timer.first;
    expect(clients.managed().map((a) => a.name)).toEqual(['outside']);
    expect(logs).toMatch(/organization discovery failed; keeping the previous account list/);
    expect(delays).toEqual([60_000]);
    fire?.();
    await new Promise((r) => setTimeout(r, 50));
    expect(delays).toEqual([60_000, 120_000]);
    failing = false;
    fire?.();
    await expect.poll(() => delays.length).toBe(3);
    expect(delays[2]).toBe(30 * 60_000);
    expect(clients.managed().map((a) => a.name)).toContain('dev');
    timer.stop();
  });
});
