import { startMfa } from '../flows/mfa.js';
import { checkTargetArgs } from '../flows/targets.js';
import type { Subcommand } from './types.js';

export const mfa: Subcommand = {
  name: 'mfa',
  usage: 'mfa [iam-user | @someone] [account]',
  summary: 'enrol a virtual MFA device; the QR code goes to the user’s owner by DM',
  check: checkTargetArgs,
  handler: (deps) => async (c) => c.reply(await startMfa(deps, c.command.user_id, c.args)),
};
