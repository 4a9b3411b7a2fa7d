import { resetPassword } from '../flows/keys.js';
import { checkTargetArgs } from '../flows/targets.js';
import type { Subcommand } from './types.js';

export const resetPasswordCommand: Subcommand = {
  name: 'reset-password',
  usage: 'reset-password [iam-user | @someone] [account]',
  summary: 'new console password by DM to its owner (e.g. after one could not be delivered)',
  check: checkTargetArgs,
  handler: (deps) => async (c) => c.reply(await resetPassword(deps, c.command.user_id, c.args)),
};
