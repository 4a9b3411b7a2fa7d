import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { findUsersByTag, listUserDetails } from '../../../src/core/users/directory.js';

describe('listUserDetails (AWS pagination, which moto does not do)', () => {
  it('follows Marker until IsTruncated is false', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const mock = mockClient(iam);
    mock
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .resolves({ UserDetailList: [{ UserName: 'a' }, { UserName: 'b' }], IsTruncated: true, Marker: 'm1' })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: 'm1' })
      .resolves({
        UserDetailList: [{ UserName: 'c', Tags: [{ Key: 'SlackUserId', Value: 'U1' }] }],
        IsTruncated: false,
      });
    const stats = { calls: 0 };
    const users = await listUserDetails(iam, stats);
    expect(users.map((u) => u.UserName)).toEqual(['a', 'b', 'c']);
    expect(stats.calls).toBe(2);
    expect(mock.commandCalls(GetAccountAuthorizationDetailsCommand)[0]?.args[0].input).toMatchObject({
      Filter: ['User'],
    });
    expect((await findUsersByTag(iam, 'SlackUserId', 'U1')).map((u) => u.UserName)).toEqual(['c']);
  });
});
