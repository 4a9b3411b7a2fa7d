import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlashCommand,
} from '@slack/bolt';
import { mfa } from '../../commands/mfa.js';
import { rotateKeys } from '../../commands/rotate-keys.js';
import type { Subcommand } from '../../commands/types.js';
import type { AppDeps } from '../../deps.js';
import { parseUserRef } from '../../views/app-home.js';
import { grantModalFor } from '../lib/grant-modal.js';
import { publishHome } from '../lib/home.js';
import { ephemeral, failureText } from '../lib/reply.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * App Home's self-service buttons run the same subcommands as `/aws-user mfa` and `rotate-keys`, on the
 * IAM user the button names; the subcommand re-checks that the clicker owns it (or is an admin).
 */
function viaSubcommand(deps: AppDeps, sub: Subcommand) {
  const run = sub.handler(deps);
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const user = body.user.id;
    const ref = parseUserRef(action.value ?? '');
    const reply = (text: string) => ephemeral(client, deps.logger, { user }, text);
    if (!ref) return reply('That button is out of date; refresh App Home.');
    const command = {
      user_id: user,
      trigger_id: body.trigger_id,
      text: `${sub.name} ${ref.username} ${ref.account}`,
    } as SlashCommand;
    try {
      await run({
        args: [ref.username, ref.account === 'home' ? '' : ref.account].filter(Boolean),
        command,
        client,
        reply,
      });
    } catch (err) {
      await reply(failureText(err));
    }
    await publishHome(deps, client, user).catch(() => undefined);
  };
}

export const homeEnrollMfaAction = (deps: AppDeps) => viaSubcommand(deps, mfa);
export const homeRotateKeyAction = (deps: AppDeps) => viaSubcommand(deps, rotateKeys);

export const homeRequestAccessAction =
  (deps: AppDeps) =>
  async ({ ack, body, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    await client.views.open({
      trigger_id: body.trigger_id,
      view: grantModalFor(deps.config, false) as never,
    });
  };

export const homeRefreshAction =
  (deps: AppDeps) =>
  async ({ ack, body, client }: Args): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    await publishHome(deps, client, body.user.id);
  };
