import { GetAccountAuthorizationDetailsCommand, type IAMClient, type UserDetail } from '@aws-sdk/client-iam';
import type { CoreContext } from '../context.js';
import { PROFILE_TAG, tagValue } from '../tags.js';

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

/** An IAM user the bot found for a Slack user, with the account it lives in. */
export interface IamUserRef {
  /** Account id. */
  account: string;
  accountName: string;
  username: string;
  arn?: string;
}

/** The IAM users, across every managed account, tagged SlackUserId=<slackUserId>. */
export async function usersOwnedBy(ctx: CoreContext, slackUserId: string): Promise<IamUserRef[]> {
  const out: IamUserRef[] = [];
  for (const a of ctx.clients.managed()) {
    for (const u of await findUsersByTag(ctx.clients.iam(a.id), PROFILE_TAG.slackUserId, slackUserId)) {
      if (!u.UserName) continue;
      out.push({
        account: a.id,
        accountName: a.name,
        username: u.UserName,
        ...(u.Arn ? { arn: u.Arn } : {}),
      });
    }
  }
  return out;
}
