import type { Subcommand } from './types.js';

export function helpText(subcommands: readonly Subcommand[]): string {
  const lines = subcommands.map((s) => `• \`/aws-user ${s.usage}\`: ${s.summary}`);
  return `*aws-user*: request, approve and manage AWS IAM users.\n${lines.join('\n')}`;
}

/** Built with the registry it describes, so help can never drift from the commands that exist. */
export function helpCommand(all: () => readonly Subcommand[]): Subcommand {
  return {
    name: 'help',
    usage: 'help',
    summary: 'this list',
    handler: () => async (c) => c.reply(helpText(all())),
  };
}
