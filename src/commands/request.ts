import { grantModalFor } from '../views/grant-modal.js';
import type { Subcommand } from './types.js';

export const request: Subcommand = {
  name: 'request',
  usage: 'request',
  summary:
    'ask for time-bound access (a group or policy from your template’s allow-list), approved like any request',
  check: (args) => (args.length > 0 ? 'takes no arguments; the modal asks for the rest' : undefined),
  handler: (deps) => async (c) => {
    await deps.client.views.open({
      trigger_id: c.command.trigger_id,
      view: grantModalFor(deps.config, deps.core.accounts.list(), false),
    });
  },
};

export const breakGlassCommand: Subcommand = {
  name: 'break-glass',
  usage: 'break-glass',
  summary:
    'emergency self-approved access on break-glass templates: capped, rate limited, broadcast to admins',
  check: (args) => (args.length > 0 ? 'takes no arguments; the modal asks for the reason' : undefined),
  handler: (deps) => async (c) => {
    if (!Object.values(deps.config.templates).some((t) => t.break_glass)) {
      await c.reply('No template is configured for break-glass (templates.<name>.break_glass: true).');
      return;
    }
    await deps.client.views.open({
      trigger_id: c.command.trigger_id,
      view: grantModalFor(deps.config, deps.core.accounts.list(), true),
    });
  },
};
