import { rotateKeys as rotate } from '../flows/keys.js';
import { checkTargetArgs } from '../flows/targets.js';
import type { Subcommand } from './types.js';

export const rotateKeys: Subcommand = {
  name: 'rotate-keys',
  usage: 'rotate-keys [iam-user | @someone] [account]',
  summary:
    'new access key by DM to its owner; the old one is deactivated, then deleted, after a grace period',
  check: checkTargetArgs,
  handler: (deps) => async (c) => c.reply(await rotate(deps, c.command.user_id, c.args)),
};
