import { pendingList } from '../views/messages.js';
import type { Subcommand } from './types.js';

export const pending: Subcommand = {
  name: 'pending',
  usage: 'pending',
  summary: 'requests waiting for approval',
  check: (args) => (args.length > 0 ? 'takes no arguments' : undefined),
  handler: (deps) => async (c) => {
    const list = await deps.store.listPending();
    list.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    await c.reply(pendingList(list));
  },
};
