import { CreateGroupCommand, CreateUserCommand } from '@aws-sdk/client-identitystore';
import { ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFileConfig } from '../../../src/config.js';
import { identityCenter } from '../../../src/core/identity-center/directory.js';
import { ConfigError } from '../../../src/errors.js';
import { type Moto, startMoto } from '../../helpers/moto.js';

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto.stop();
});

function ctxWith(identity_center: Record<string, unknown> | undefined) {
  const config = {
    ...parseFileConfig({ templates: {}, ...(identity_center ? { identity_center } : {}) }, 'test.yml'),
    source: 'test.yml',
  };
  return { config, clients: moto.clients() };
}

describe('IdentityCenterDirectory', () => {
  it('finds the instance through ListInstances once, then users by email or UserName and groups by name', async () => {
    const { Instances } = await moto.ssoAdmin().send(new ListInstancesCommand({}));
    const inst = Instances?.[0];
    const store = inst?.IdentityStoreId ?? '';
    const { UserId } = await moto.identityStore().send(
      new CreateUserCommand({
        IdentityStoreId: store,
        UserName: 'alice',
        DisplayName: 'Alice A',
        Name: { GivenName: 'Alice', FamilyName: 'A' },
        Emails: [{ Value: 'alice@example.com', Primary: true }],
      }),
    );
    const { GroupId } = await moto
      .identityStore()
      .send(new CreateGroupCommand({ IdentityStoreId: store, DisplayName: 'Engineers' }));
    const ctx = ctxWith({});
    const dir = identityCenter(ctx);
    expect(identityCenter(ctx)).toBe(dir);
    expect(await dir.instance()).toEqual({
      instanceArn: inst?.InstanceArn,
      identityStoreId: store,
      region: 'us-east-1',
    });
    expect(await dir.userId({ email: 'alice@example.com' })).toBe(UserId);
    expect(await dir.userId({ email: 'nobody@example.com', userName: 'alice' })).toBe(UserId);
    expect(await dir.userId({ email: 'nobody@example.com' })).toBeUndefined();
    expect(await dir.groupId('Engineers')).toBe(GroupId);
    expect(await dir.groupId('Nope')).toBeUndefined();
  });

  it('names the field when the configured instance is not there', async () => {
    const dir = identityCenter(ctxWith({ instance_arn: 'arn:aws:sso:::instance/ssoins-aaaaaaaaaaaaaaaa' }));
    await expect(dir.instance()).rejects.toThrow(ConfigError);
    await expect(dir.instance()).rejects.toThrow(/identity_center\.instance_arn: .* is not among/);
  });

  it('says identity_center is not configured rather than calling AWS', async () => {
    expect(() => identityCenter(ctxWith(undefined)).ssoAdmin()).toThrow(/identity_center: not configured/);
  });
});
