import { DAY_MS, DUE_MAX_DAYS, DUE_MIN_DAYS, NAME_MAX, parseDue } from '../core/index.js';
import { ValidationError } from '../errors.js';
import { reviewStatusText, startAndLaunch } from '../flows/review/lifecycle.js';
import type { Subcommand } from './types.js';

/**
 * `/aws-user review start [--name "Q1 2027"] [--due 14d|2027-01-15] [--accounts a,b]` (admins): scans the
 * accounts, freezes the campaign and launches it at once (reviewers resolved and DMed, the channel message
 * posted). `/aws-user review status`: the campaigns not yet closed, with their progress.
 */

export interface ReviewStartArgs {
  name?: string;
  due?: string;
  accounts?: string[];
}

export type ReviewArgs = { action: 'status' } | ({ action: 'start' } & ReviewStartArgs);

const OPTIONS = ['--name', '--due', '--accounts'] as const;

/** Words, with "double quotes" (straight or Slack's curly ones) holding spaces. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  const re = /["“”]([^"“”]*)["“”]|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

/** Parses the arguments; bad ones throw a ValidationError naming the option and the fix. */
export function parseReviewArgs(args: readonly string[]): ReviewArgs {
  const [action, ...rest] = tokens(args.join(' '));
  if (action === 'status') {
    if (rest.length)
      throw new ValidationError('status', 'takes no arguments', 'send `review status` on its own');
    return { action: 'status' };
  }
  if (action !== 'start')
    throw new ValidationError(
      'review',
      action ? `"${action.slice(0, 40)}" is not an action` : 'needs an action',
      'use `review start` or `review status`',
    );
  const out: ReviewArgs = { action: 'start' };
  for (let i = 0; i < rest.length; i += 2) {
    const opt = rest[i] as string;
    const value = rest[i + 1];
    if (!(OPTIONS as readonly string[]).includes(opt))
      throw new ValidationError(
        opt.slice(0, 40),
        'is not an option of review start',
        `use ${OPTIONS.join(', ')}`,
      );
    if (value === undefined || value.startsWith('--'))
      throw new ValidationError(opt, 'needs a value', USAGE_OF[opt as (typeof OPTIONS)[number]]);
    if (opt === '--name') {
      if (!value.trim() || value.length > NAME_MAX)
        throw new ValidationError('--name', `is ${value.length} characters long`, `give 1 to ${NAME_MAX}`);
      out.name = value;
    } else if (opt === '--due') {
      // The syntax now, before the ack; the range against the clock in the handler.
      parseDue(value, new Date(0));
      out.due = value;
    } else {
      const accounts = value
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      if (!accounts.length) throw new ValidationError('--accounts', 'is empty', USAGE_OF['--accounts']);
      out.accounts = accounts;
    }
  }
  return out;
}

const USAGE_OF: Record<(typeof OPTIONS)[number], string> = {
  '--name': 'e.g. --name "Q1 2027"',
  '--due': 'days from now (14d, 2w) or a date (2027-01-15)',
  '--accounts': 'account ids or names, comma-separated: --accounts prod,staging',
};

const NOT_CONFIGURED =
  'Access reviews are not configured: add a `review` section to the config file (at least `fallback_reviewers`), then restart the bot.';

export const review: Subcommand = {
  name: 'review',
  usage: 'review start [--name "Q1 2027"] [--due 14d|2027-01-15] [--accounts a,b] | review status',
  summary: 'start an access review campaign (admins), or show the open ones',
  check: (args) => {
    try {
      parseReviewArgs(args);
      return undefined;
    } catch (err) {
      return err instanceof ValidationError ? err.message : 'has bad arguments';
    }
  },
  handler: (deps) => async (c) => {
    const parsed = parseReviewArgs(c.args);
    const user = c.command.user_id;
    if (!deps.config.review) return c.reply(NOT_CONFIGURED);
    if (parsed.action === 'status') {
      if (!(await deps.roles.isApprover(user)))
        return c.reply('Only approvers and admins can see the status of access reviews.');
      return c.reply(await reviewStatusText(deps));
    }
    if (!(await deps.roles.isAdmin(user))) return c.reply('Only admins can start an access review.');
    const now = deps.clock.now();
    let dueAt: Date | undefined;
    if (parsed.due !== undefined) {
      dueAt = parseDue(parsed.due, now);
      const days = (dueAt.getTime() - now.getTime()) / DAY_MS;
      if (days < DUE_MIN_DAYS || days > DUE_MAX_DAYS)
        return c.reply(
          `\`--due\`: ${dueAt.toISOString()} is ${days < 0 ? 'in the past' : `${days.toFixed(1)} days away`} (give ${DUE_MIN_DAYS} to ${DUE_MAX_DAYS} days from now, e.g. 14d, or a date in that range).`,
        );
    }
    await c.reply(
      `Scanning ${parsed.accounts ? parsed.accounts.join(', ') : 'every managed account'} for the access review… this can take a minute.`,
    );
    let result: Awaited<ReturnType<typeof startAndLaunch>>;
    try {
      result = await startAndLaunch(deps, {
        name: parsed.name,
        accounts: parsed.accounts,
        dueAt,
        createdBy: user,
      });
    } catch (err) {
      if (err instanceof ValidationError) return c.reply(`Access review not started: ${err.message}.`);
      throw err;
    }
    const { campaign, summary } = result.started;
    const l = result.launch;
    const failed = campaign.accounts.filter((a) => !a.ok);
    const lines = [
      `Access review *${campaign.name.replace(/[<>&]/g, '')}* (\`${campaign.id}\`) started: ${summary.people} people, ${summary.items} items, due ${campaign.dueAt.slice(0, 10)}.`,
      ...(failed.length
        ? [`:warning: ${failed.length} account(s) could not be read: ${failed.map((a) => a.id).join(', ')}.`]
        : []),
      'error' in l
        ? `:warning: Launch failed (${l.error}); the next review tick retries it.`
        : l.launched
          ? `Launched: ${l.reviewers} reviewer(s) DMed (${l.byManager} item(s) to managers, ${l.byFallback} to fallback reviewers)${l.unassigned ? `; :warning: ${l.unassigned} item(s) have no reviewer (their owner is every fallback reviewer)` : ''}${l.dmsFailed ? `; ${l.dmsFailed} DM(s) failed` : ''}.${l.message ? ` Progress: <#${l.message.channel}>.` : ''}`
          : 'Already launched by the review tick.',
    ];
    await c.reply(lines.join('\n'));
  },
};
