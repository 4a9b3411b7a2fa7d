import { pendingText } from '../flows/queries.js';
import type { Subcommand } from './types.js';

export const pending: Subcommand = {
  name: 'pending',
  usage: 'pending',
  summary: 'requests waiting for approval that you may decide, and your own',
  check: (args) => (args.length > 0 ? 'takes no arguments' : undefined),
  handler: (deps) => async (c) => c.reply(await pendingText(deps, c.command.user_id)),
};
