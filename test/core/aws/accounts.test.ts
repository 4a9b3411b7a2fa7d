import { CreateUserCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../../src/config.js';
import { Auditor, MemoryAuditSink } from '../../../src/core/audit.js';
import { AccountClients, resolveHomeAccountId, sessionName } from '../../../src/core/aws/accounts.js';
import { fixedClock } from '../../../src/core/clock.js';
import { offboardUser } from '../../../src/core/users/offboard.js';
import { AccountFailedError, ConfigError, ValidationError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { testConfig, who } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../../helpers/moto.js';

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const member = {
  id: '222222222222',
  name: 'prod',
  role_arn: 'arn:aws:iam::222222222222:role/aws-user',
  external_id: 'ext-123',
  region: 'eu-west-1',
};
const home = { id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' };

describe('AccountClients', () => {
  it('reaches a member account through AssumeRole, whose credentials act in that account', async () => {
    const clients = moto.clients([home, member]);
    await clients.iam('prod', 'alice').send(new CreateUserCommand({ UserName: 'in-prod' }));
    const homeUsers = await clients.iam(MOTO_ACCOUNT).send(new ListUsersCommand({}));
    const prodUsers = await clients.iam('222222222222', 'alice').send(new ListUsersCommand({}));
    expect(homeUsers.Users?.map((u) => u.UserName)).not.toContain('in-prod');
    expect(prodUsers.Users?.map((u) => u.UserName)).toEqual(['in-prod']);
    expect(prodUsers.Users?.[0]?.Arn).toContain(':222222222222:');
  });

  it('caches assumed credentials until shortly before expiry, and shares one AssumeRole between callers', async () => {
    const clock = fixedClock(new Date());
    const clients = moto.clients([member], { clock });
    const acct = clients.resolve('prod');
    await Promise.all([clients.assumedCredentials(acct, 'bob'), clients.assumedCredentials(acct, 'bob')]);
    expect(clients.assumeRoleCalls).toBe(1);
    await clients.assumedCredentials(acct, 'bob');
    expect(clients.assumeRoleCalls).toBe(1);
    clock.advance(56 * 60_000); // within 5 minutes of the 1 h expiry
    await clients.assumedCredentials(acct, 'bob');
    expect(clients.assumeRoleCalls).toBe(2);
  });

  it('names an unknown account and lists the known ones', () => {
    const clients = moto.clients([home, member]);
    expect(() => clients.iam('staging')).toThrow(ValidationError);
    expect(() => clients.iam('staging')).toThrow(
      /unknown account "staging"; known accounts: home \(123456789012\), prod/,
    );
  });

  it('wraps an AssumeRole failure in AccountFailedError that names the account', async () => {
    const clients = moto.clients([{ ...member, role_arn: 'arn:aws:iam::222222222222:role/x' }]);
    // moto accepts any role ARN, so force failure through a client with a dead endpoint.
    const dead = new (
      clients.constructor as typeof import('../../../src/core/aws/accounts.js').AccountClients
    )([member], {
      homeAccountId: MOTO_ACCOUNT,
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    await expect(dead.assumedCredentials(dead.resolve('prod'), 'x')).rejects.toBeInstanceOf(
      AccountFailedError,
    );
  });

  it('builds a session name IAM accepts from any actor', () => {
    expect(sessionName('U123 Jane Doe!')).toBe('aws-user-U123-Jane-Doe-');
    expect(sessionName('x'.repeat(100))).toHaveLength(64);
  });
});

describe("the home account: one rule, the README's", () => {
  const bare = () => ({ endpoint: moto.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  // accounts[0] is assumed; the first account without role_arn is where the bot's own credentials live.
  const accounts: AccountConfig[] = [member, { ...home, name: 'ops' }];

  it("is the first account without role_arn when home_account is unset, and acts with the bot's own credentials", async () => {
    const config = testConfig({ accounts, home_account: undefined });
    const homeAccountId = await resolveHomeAccountId(config, bare());
    const clients = new AccountClients(accounts, { ...bare(), homeAccountId });
    expect(homeAccountId).toBe(MOTO_ACCOUNT);
    expect(clients.home).toEqual(accounts[1]);
    expect(new AccountClients(accounts, bare()).home.id).toBe(MOTO_ACCOUNT);

    await moto.iam().send(new CreateUserCommand({ UserName: 'jane' }));
    const sink = new MemoryAuditSink();
    const clock = fixedClock(new Date());
    const ctx = {
      config,
      clients,
      auditor: new Auditor(sink, clock, silentLogger()),
      clock,
      logger: silentLogger(),
    };
    const r = await offboardUser(ctx, { account: clients.home.id, username: 'jane' }, who);
    expect(r.previous.account).toBe(MOTO_ACCOUNT);
    expect(clients.assumeRoleCalls).toBe(0);
    expect(sink.events.map((e) => e.account)).toEqual([MOTO_ACCOUNT]);
  });

  it('is learned from GetCallerIdentity when every account has a role_arn', async () => {
    const config = testConfig({ accounts: [member], home_account: undefined });
    expect(await resolveHomeAccountId(config, bare())).toBe(MOTO_ACCOUNT);
    expect(await resolveHomeAccountId({ ...config, home_account: '333333333333' }, bare())).toBe(
      '333333333333',
    );
    expect(() => new AccountClients([member], bare())).toThrow(ConfigError);
    expect(() => new AccountClients([member], bare())).toThrow(/home_account/);
    const clients = new AccountClients([member], { ...bare(), homeAccountId: MOTO_ACCOUNT });
    expect(clients.home).toEqual({ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' });
    expect(clients.managed()).toEqual([member]);
    expect(moto.clients([]).managed()).toEqual([{ id: MOTO_ACCOUNT, name: 'home', region: 'us-east-1' }]);
  });

  it('resolves an id or a name, the home account included, and names the known accounts otherwise', () => {
    const clients = new AccountClients([member], { ...bare(), homeAccountId: MOTO_ACCOUNT });
    expect(clients.resolve('prod')).toBe(member);
    expect(clients.resolve('222222222222')).toBe(member);
    expect(clients.resolve(MOTO_ACCOUNT).id).toBe(MOTO_ACCOUNT);
    expect(clients.resolve('home').id).toBe(MOTO_ACCOUNT);
    const err = (() => {
      try {
        clients.resolve('staging');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('account');
    expect((err as Error).message).toBe(
      'account: unknown account "staging"; known accounts: prod (222222222222), home (123456789012) (use an id or name from accounts[] in the config)',
    );
  });
});
