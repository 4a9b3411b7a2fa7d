import { CreateUserCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { TEMPLATE_TAG } from '../../src/core/index.js';
import { GRANT_BLOCKS } from '../../src/views/grant-modal.js';
import { USERS } from './bot.js';
import { MOTO_ACCOUNT, type Moto } from './moto.js';

/** The requester's own IAM user, made from `template` and tagged with their Slack id. */
export async function ownUser(
  moto: Moto,
  username: string,
  template: string,
  slackId: string = USERS.requester,
): Promise<void> {
  await moto.iam().send(
    new CreateUserCommand({
      UserName: username,
      Tags: [
        { Key: 'SlackUserId', Value: slackId },
        { Key: TEMPLATE_TAG, Value: template },
      ],
    }),
  );
}

export async function groupsOf(moto: Moto, user: string): Promise<(string | undefined)[]> {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: user }));
  return (r.Groups ?? []).map((g) => g.GroupName);
}

/** view.state.values for the time-bound access modals, as Slack sends them. */
export function grantValues(v: { access: string; minutes: number; reason: string; account?: string }) {
  const sel = (value: string) => ({ type: 'static_select', selected_option: { value } });
  return {
    [GRANT_BLOCKS.account]: { [GRANT_BLOCKS.account]: sel(v.account ?? MOTO_ACCOUNT) },
    [GRANT_BLOCKS.access]: { [GRANT_BLOCKS.access]: sel(v.access) },
    [GRANT_BLOCKS.duration]: { [GRANT_BLOCKS.duration]: sel(String(v.minutes)) },
    [GRANT_BLOCKS.reason]: { [GRANT_BLOCKS.reason]: { type: 'plain_text_input', value: v.reason } },
  };
}
