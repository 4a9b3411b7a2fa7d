import { whoamiText } from '../flows/queries.js';
import type { Subcommand } from './types.js';

export const whoami: Subcommand = {
  name: 'whoami',
  usage: 'whoami',
  summary: 'your IAM users across accounts, and your role in this bot',
  check: (args) => (args.length > 0 ? 'takes no arguments' : undefined),
  handler: (deps) => async (c) => c.reply(await whoamiText(deps, c.command.user_id)),
};
