import { parseWhen, USERNAME_RE } from '../core/index.js';
import { errorMessage } from '../errors.js';
import { auditText } from '../flows/queries.js';
import type { Subcommand } from './types.js';

/** Phones turn `--` into an em dash; both spellings mean the option. */
const SINCE = new Set(['--since', '\u2014since']);

/** `[iam-user] [--since <when>]` in any order → the parts, or what is wrong with them. */
export function auditArgs(args: string[]): { target?: string; since?: string } | string {
  const out: { target?: string; since?: string } = {};
  const rest = [...args];
  while (rest.length > 0) {
    const a = rest.shift() as string;
    if (SINCE.has(a)) {
      const when = rest.shift();
      if (!when) return '--since needs a date or a duration, e.g. `--since 7d` or `--since 2026-01-31`';
      try {
        // Only the form is checked here; "now" comes from the clock when the handler runs.
        parseWhen('--since', when, new Date(0));
      } catch (err) {
        return errorMessage(err);
      }
      out.since = when;
    } else if (out.target !== undefined) return 'takes at most one IAM user name';
    else if (!USERNAME_RE.test(a)) return `"${a}" is not an IAM user name`;
    else out.target = a;
  }
  return out;
}

export const audit: Subcommand = {
  name: 'audit',
  usage: 'audit [iam-user] [--since 7d|2026-01-31]',
  summary:
    'latest audit events, for everyone or one IAM user, and how many since a date (approvers and admins)',
  check: (args) => {
    const parsed = auditArgs(args);
    return typeof parsed === 'string' ? parsed : undefined;
  },
  handler: (deps) => async (c) => {
    const { target, since } = auditArgs(c.args) as { target?: string; since?: string };
    await c.reply(await auditText(deps, c.command.user_id, target, since));
  },
};
