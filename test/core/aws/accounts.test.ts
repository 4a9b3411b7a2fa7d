import { CreateUserCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionName } from '../../../src/core/aws/accounts.js';
import { fixedClock } from '../../../src/core/clock.js';
import { AccountFailedError, NotFoundError } from '../../../src/errors.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

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
    const homeUsers = await clients.iam().send(new ListUsersCommand({}));
    const prodUsers = await clients.iam('222222222222', 'alice').send(new ListUsersCommand({}));
    expect(homeUsers.Users?.map((u) => u.UserName)).not.toContain('in-prod');
    expect(prodUsers.Users?.map((u) => u.UserName)).toEqual(['in-prod']);
    expect(prodUsers.Users?.[0]?.Arn).toContain(':222222222222:');
  });

  it('caches assumed credentials until shortly before expiry, and shares one AssumeRole between callers', async () => {
    const clock = fixedClock(new Date());
    const clients = moto.clients([member], { clock });
    const acct = clients.account('prod');
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
    expect(() => clients.iam('staging')).toThrow(NotFoundError);
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
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    await expect(dead.assumedCredentials(dead.account('prod'), 'x')).rejects.toBeInstanceOf(
      AccountFailedError,
    );
  });

  it('builds a session name IAM accepts from any actor', () => {
    expect(sessionName('U123 Jane Doe!')).toBe('aws-user-U123-Jane-Doe-');
    expect(sessionName('x'.repeat(100))).toHaveLength(64);
  });
});
