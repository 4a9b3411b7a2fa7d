import { systemClock } from '../../core/clock.js';
import {
  type CampaignSummary,
  checkStartOptions,
  parseDue,
  startCampaign,
} from '../../core/review/campaign.js';
import { reviewReport, reviewSummary } from '../../core/review/report.js';
import type { ReviewCampaign } from '../../core/review/types.js';
import { ConfigError, NotFoundError, ValidationError } from '../../errors.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/types.js';
import type { CliCommandEnv, RegisterCliCommand } from '../index.js';
import { cliActor, context, emit, fileSink, isJson, list, openBotStore } from './shared.js';

/**
 * `aws-user review start|list|export`: access-review campaigns from the CLI. `start` freezes the snapshot
 * into the bot's store (beside the running bot, as `scan` records its history); the bot tells reviewers.
 * `list` and `export` only read.
 */
export const reviewCommand: RegisterCliCommand = (program, env) => {
  const review = program.command('review').description('access-review campaigns (user access certification)');
  review
    .command('start')
    .description(
      'freeze every entitlement in the accounts into a new campaign; the bot then asks the reviewers',
    )
    .option(
      '--accounts <ids|names>',
      'only these accounts (comma-separated); default: review.accounts or all',
      list,
    )
    .option(
      '--due <when>',
      'deadline: days or weeks from now (14d, 2w) or a date (2027-01-15); default review.due_days',
    )
    .option('--name <name>', 'the campaign name (default "Access review <year>-Q<n>")')
    .action((o: { accounts?: string[]; due?: string; name?: string }) => runStart(env, o));
  review
    .command('list')
    .description('every campaign, newest first, with its status, deadline and progress')
    .action(() => runList(env));
  review
    .command('export <campaign>')
    .description(
      "write a campaign's report: each item, its decision, who made it and when, and the revocation",
    )
    .option('--format <format>', 'csv or json', 'csv')
    .option('--output <file>', 'write to this file (created complete or not at all) instead of stdout')
    .action((id: string, o: { format: string; output?: string }) => runExport(env, id, o));
};

async function runStart(env: CliCommandEnv, o: { accounts?: string[]; due?: string; name?: string }) {
  const ctx = await context(env);
  const cfg = ctx.config.review;
  if (!cfg)
    throw new ConfigError(ctx.config.source, [
      'review: not configured; set review.fallback_reviewers (Slack ids) so every item has a reviewer',
    ]);
  const due = o.due !== undefined ? parseDue(o.due, ctx.clock.now()) : undefined;
  const who = cliActor(env);
  const options = {
    createdBy: who.actor,
    who,
    name: o.name,
    accounts: o.accounts ?? cfg.accounts,
    dueAt: due,
  };
  // Bad input is named before the store is opened: for SQLite, opening may create the file.
  checkStartOptions(ctx, options);
  const opened = await openStore(ctx.config, ctx.logger, { beside: true, clock: ctx.clock });
  try {
    const { campaign, summary } = await startCampaign(ctx, opened.store.reviews, options);
    const failed = campaign.accounts.filter((a) => !a.ok);
    emit(env, { ok: failed.length === 0, campaign, summary }, () => startText(campaign, summary));
    if (failed.length > 0) env.setExit(1);
  } finally {
    await opened.store.close();
  }
}

function startText(c: ReviewCampaign, s: CampaignSummary): string[] {
  const kinds = Object.entries(s.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return [
    `campaign ${c.id} "${c.name}" created, due ${c.dueAt}`,
    `  ${s.people} people, ${s.items} items${kinds ? ` (${kinds})` : ''}; ${s.unused} unused beyond ${c.thresholds.console_days} days (console) / ${c.thresholds.access_key_days} days (keys): keeping those needs a comment`,
    ...c.accounts.map(
      (a) => `  ${a.ok ? 'ok    ' : 'FAILED'} ${a.name} (${a.id})${a.error ? `: ${a.error}` : ''}`,
    ),
    '  the snapshot is frozen; reviewers are asked when the bot launches the campaign',
  ];
}

async function withStore<T>(env: CliCommandEnv, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openBotStore(env, env.deps.clock ?? systemClock, 'access reviews');
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function runList(env: CliCommandEnv) {
  await withStore(env, async (store) => {
    const campaigns = await store.reviews.listCampaigns();
    const rows = await Promise.all(
      campaigns.map(async (c) => ({ campaign: c, progress: reviewSummary(await store.reviews.items(c.id)) })),
    );
    emit(env, { ok: true, campaigns: rows }, () =>
      rows.length === 0
        ? ['no access-review campaigns yet (aws-user review start)']
        : rows.map(
            ({ campaign: c, progress: p }) =>
              `${c.id}  ${c.status.padEnd(7)}  due ${c.dueAt.slice(0, 10)}  ${p.decided}/${p.items} decided (${p.kept} kept, ${p.revoked} revoked)  ${c.name}`,
          ),
    );
  });
}

async function runExport(env: CliCommandEnv, id: string, o: { format: string; output?: string }) {
  if (o.format !== 'csv' && o.format !== 'json')
    throw new ValidationError('--format', `"${o.format}" is not a format`, 'choose csv or json');
  await withStore(env, async (store) => {
    const campaign = await store.reviews.getCampaign(id);
    if (!campaign)
      throw new NotFoundError(`no access-review campaign ${id} (aws-user review list shows them)`);
    const items = await store.reviews.items(id);
    const report = reviewReport(campaign, items);
    const body = o.format === 'csv' ? report.csv : `${JSON.stringify(report.json, null, 2)}\n`;
    if (!o.output) {
      env.io.out(body);
      return;
    }
    const file = await fileSink(o.output);
    try {
      await file.write(body);
      await file.commit();
    } catch (err) {
      await file.abort();
      throw err;
    }
    const summary = { ok: true, campaign: id, items: items.length, format: o.format, output: o.output };
    env.io.out(
      isJson(env) ? `${JSON.stringify(summary)}\n` : `wrote ${items.length} items of ${id} to ${o.output}\n`,
    );
  });
}
