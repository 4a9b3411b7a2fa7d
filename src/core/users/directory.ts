import { GetAccountAuthorizationDetailsCommand, type IAMClient, type UserDetail } from '@aws-sdk/client-iam';
import { tagValue } from '../tags.js';

/**
 * Every user of an account with tags, groups and policies in a constant number of calls per page:
 * GetAccountAuthorizationDetails(Filter=User), following Marker. (moto returns one page and ignores
 * MaxItems; AWS pages at up to 1,000, which test/core/directory.test.ts covers with a stubbed response.)
 */
export interface DirectoryStats {
  calls: number;
}

export async function listUserDetails(iam: IAMClient, stats?: DirectoryStats): Promise<UserDetail[]> {
  const users: UserDetail[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 1000, Marker: marker }),
    );
    if (stats) stats.calls++;
    users.push(...(page.UserDetailList ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return users;
}

/** Users whose tag `key` equals `value` (e.g. SlackUserId), from one directory listing. */
export async function findUsersByTag(iam: IAMClient, key: string, value: string): Promise<UserDetail[]> {
  return (await listUserDetails(iam)).filter((u) => tagValue(u, key) === value);
}
