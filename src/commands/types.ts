import type { SlashCommand } from '@slack/bolt';
import type { Deps } from '../deps.js';

/** What a subcommand's handler gets, after the router has acked. */
export interface CommandContext {
  args: string[];
  command: SlashCommand;
  /** Ephemeral answer through the command's response_url, when that is Slack's (slack/response-url.ts). */
  reply(text: string): Promise<void>;
}

/**
 * One `/aws-user <name>` subcommand, one file in src/commands: parse the arguments, check them, call one
 * flow. `check` runs before the ack and turns bad arguments into the usage reply; `handler` runs after
 * the ack, so it may take as long as it needs.
 */
export interface Subcommand {
  name: string;
  /** e.g. "audit [user]"; shown in help and usage errors. */
  usage: string;
  summary: string;
  check?(args: string[]): string | undefined;
  handler(deps: Deps): (c: CommandContext) => Promise<void>;
}
