import {
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { AccountClients } from '../src/core/aws/accounts.js';

/**
 * The seed detector's per-user method, kept in bench/ only as the baseline: ListUsers, then for every user
 * GetUser, ListAccessKeys, GetAccessKeyLastUsed per key, ListMFADevices and ListUserTags. The seed ran it
 * sequentially; here it gets `perAccount` users in flight per account so the benchmark finishes — which
 * flatters it (real IAM would throttle that) and makes the measured ratio conservative.
 */
export async function perUserScan(
  clients: AccountClients,
  accountIds: readonly string[],
  perAccount: number,
): Promise<{ users: number; inactiveKeys: number }> {
  let users = 0;
  let inactiveKeys = 0;
  const cutoff = Date.now() - 180 * 86_400_000;
  await Promise.all(
    accountIds.map(async (id) => {
      const iam = clients.iam(id);
      const names: string[] = [];
      let marker: string | undefined;
      do {
        const page = await iam.send(new ListUsersCommand({ Marker: marker }));
        for (const u of page.Users ?? []) if (u.UserName) names.push(u.UserName);
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      await pLimit(perAccount).map(names, async (UserName) => {
        await iam.send(new GetUserCommand({ UserName }));
        const keys = await iam.send(new ListAccessKeysCommand({ UserName }));
        for (const k of keys.AccessKeyMetadata ?? []) {
          const last = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }));
          const d = last.AccessKeyLastUsed?.LastUsedDate;
          if (k.Status === 'Active' && (!d || d.getTime() < cutoff)) inactiveKeys++;
        }
        await iam.send(new ListMFADevicesCommand({ UserName }));
        await iam.send(new ListUserTagsCommand({ UserName }));
        users++;
      });
    }),
  );
  return { users, inactiveKeys };
}
