import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { RESTARTING } from './drain.js';
import { ephemeral, failureText, type Where } from './reply.js';

/** What a button's work gets once Slack has its ack: who clicked, the button's value, and a private reply. */
export interface Click {
  user: string;
  /** The button's value: only ever an id; what it refers to is read from the store. */
  value: string;
  /** Valid for 3 s from the click, once: open a modal first, before any other call. */
  triggerId: string;
  /** The surface the click came from; a message's channel and ts are trusted only for replying. */
  body: BlockAction<ButtonAction>;
  where: Where;
  reply(text: string): Promise<void>;
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * The one ack-then-work wrapper for buttons: ack at once, let a burst of acks go out, then do the work;
 * anything it throws becomes a private "what went wrong" for the clicker, never a silent failure.
 */
export function onButton(deps: Deps, label: string, work: (c: Click) => Promise<void>) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    await deps.followUps.afterAck();
    const where: Where = { channel: body.channel?.id, user: body.user.id };
    const reply = (text: string) => ephemeral(deps.client, deps.logger, where, text);
    // An Approve click during shutdown must not start an execution the process will not wait for.
    const release = deps.drain.enter(`button:${label}`);
    if (!release) {
      await reply(RESTARTING);
      return;
    }
    try {
      await work({
        user: body.user.id,
        value: action.value ?? '',
        triggerId: body.trigger_id,
        body,
        where,
        reply,
      });
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err), action: label }, 'action failed');
      await reply(failureText(err));
    } finally {
      release();
    }
  };
}

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
