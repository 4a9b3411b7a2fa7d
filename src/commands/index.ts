import type { App } from '@slack/bolt';
import { cleanText } from '../core/index.js';
import type { Deps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { RESTARTING } from '../slack/drain.js';
import type { CommandArgs } from '../slack/listener.js';
import { failureText } from '../slack/reply.js';
import { guardedRespond } from '../slack/response-url.js';
import { audit } from './audit.js';
import { create, onboard } from './create.js';
import { helpCommand, helpText } from './help.js';
import { inactive } from './inactive.js';
import { mfa } from './mfa.js';
import { offboard } from './offboard.js';
import { pending } from './pending.js';
import { report } from './report.js';
import { breakGlassCommand, request } from './request.js';
import { resetPasswordCommand } from './reset-password.js';
import { review } from './review.js';
import { rotateKeys } from './rotate-keys.js';
import type { CommandContext, Subcommand } from './types.js';
import { whoami } from './whoami.js';

export const COMMAND = '/aws-user';

/**
 * Every `/aws-user` subcommand. Adding one: a file exporting a Subcommand, and one line here.
 * Order is the order of `help`.
 */
export const subcommands: readonly Subcommand[] = [
  helpCommand(() => subcommands),
  create,
  onboard,
  offboard,
  rotateKeys,
  resetPasswordCommand,
  mfa,
  pending,
  audit,
  inactive,
  report,
  review,
  whoami,
  request,
  breakGlassCommand,
];

/**
 * Splits the text, picks the subcommand, and acks first: usage errors are the ack's own ephemeral body
 * (instant), everything else acks empty and answers through respond, so no handler can miss the 3 s.
 */
export function router(deps: Deps, list: readonly Subcommand[] = subcommands) {
  const byName = new Map(list.map((s) => [s.name, { sub: s, run: s.handler(deps) }]));
  return async ({ command: payload, ack, respond }: CommandArgs): Promise<void> => {
    // Typed text, like a modal's: no control or bidi characters reach a subcommand (core/text.ts).
    const command = { ...payload, text: cleanText(payload.text ?? '') };
    const [rawName, ...args] = command.text.trim().split(/\s+/).filter(Boolean);
    const name = (rawName ?? 'help').toLowerCase();
    const entry = byName.get(name);
    if (!entry) {
      await ack({
        response_type: 'ephemeral',
        text: `Unknown subcommand \`${name.slice(0, 40).replace(/[<>&`]/g, '')}\`.\n${helpText(list)}`,
      });
      return;
    }
    const bad = entry.sub.check?.(args);
    if (bad) {
      await ack({
        response_type: 'ephemeral',
        text: `\`${name}\` ${bad}.\nUsage: \`${COMMAND} ${entry.sub.usage}\``,
      });
      return;
    }
    const release = deps.drain.enter(`command:${name}`);
    if (!release) {
      await ack({ response_type: 'ephemeral', text: RESTARTING });
      return;
    }
    try {
      await ack();
      await deps.followUps.afterAck();
      const send = guardedRespond(respond, command.response_url, {
        slackApiUrl: deps.config.env.slackApiUrl,
        logger: deps.logger,
        user: command.user_id,
      });
      const reply = async (text: string) => {
        await send({ response_type: 'ephemeral', replace_original: false, text });
      };
      const ctx: CommandContext = { args, command, reply };
      try {
        await entry.run(ctx);
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err), subcommand: name }, 'command failed');
        await reply(failureText(err)).catch(() => undefined);
      }
    } finally {
      release();
    }
  };
}

export function register(app: App, deps: Deps): void {
  app.command(COMMAND, router(deps));
}
