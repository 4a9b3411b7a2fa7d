import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from 'commander';
import {
  findingsCsvStream,
  findingsDocument,
  findingsJsonStream,
  findingsText,
  historyText,
  summarize,
} from '../../core/detect/findings-report.js';
import type { FindingRecord } from '../../core/detect/history.js';
import {
  failedAccounts,
  resolvedAfter,
  type ScanResult,
  scan,
  unreadableRows,
  unreadableText,
} from '../../core/detect/scan.js';
import { errorMessage, ValidationError } from '../../errors.js';
import {
  closeResolvedTickets,
  createJiraClient,
  syncTickets,
  type TicketCloseResult,
  type TicketSyncResult,
} from '../../integrations/jira.js';
import { type OpenedStore, openStore } from '../../store/open.js';
import { buildContext } from '../context.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_ERROR, EXIT_OK, EXIT_PARTIAL } from '../io.js';
import { accountProgress } from '../progress.js';

interface ScanCliOptions {
  accounts?: string;
  outputDir: string;
  consoleThreshold?: number;
  accessKeyThreshold?: number;
  createTickets?: boolean;
  dryRun?: boolean;
  format: string[];
  concurrency?: number;
  /** false with --no-history. */
  history: boolean;
  includeResolved?: boolean;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of days ≥ 1');
  return n;
}

function formats(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = list.filter((f) => f !== 'csv' && f !== 'json');
  if (bad.length > 0 || list.length === 0) throw new InvalidArgumentError('use csv, json or csv,json');
  return list;
}

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * `aws-user scan`: the seed detector script over every configured account. Exit 0 no findings, 1 findings,
 * 2 an error — including any account that could not be analysed, or a credential-report row that could not
 * be read, so a broken role or a shifted row never passes as "clean".
 */
export const scanCommand: RegisterCliCommand = (program, env) => {
  program
    .command('scan')
    .description(
      'find inactive console users and access keys across accounts; write the SOC 2 CSV/JSON report',
    )
    .option('--accounts <ids>', 'comma-separated account ids or names (default: all configured)')
    .option('--output-dir <dir>', 'where to write the reports', './reports')
    .option(
      '--console-threshold <days>',
      'days without console use (default: inactivity.console_days)',
      positiveInt,
    )
    .option(
      '--access-key-threshold <days>',
      'days without key use (default: inactivity.access_key_days)',
      positiveInt,
    )
    .option('--create-tickets', 'open Jira tickets for findings at/above inactivity.ticket_min_severity')
    .option('--dry-run', 'list the tickets that would be created; create none')
    .option('--format <list>', 'csv, json or csv,json', formats, ['csv', 'json'])
    .option('--concurrency <n>', 'accounts scanned at once (default: inactivity.concurrency)', positiveInt)
    .option(
      '--include-resolved',
      'also list the findings resolved since the previous run (Status RESOLVED, with when and why)',
    )
    .option(
      '--no-history',
      'do not read or record the finding history (the store under DATA_DIR or REDIS_URL)',
    )
    .action(async (opts: ScanCliOptions) => {
      const globals = env.globals();
      const ctx = await buildContext(globals, env.deps);
      const io = env.io;
      const overridden = opts.consoleThreshold !== undefined || opts.accessKeyThreshold !== undefined;
      if (opts.includeResolved && (overridden || !opts.history))
        throw new ValidationError(
          '--include-resolved',
          overridden
            ? 'reads the finding history, which a scan at other thresholds does not record'
            : 'reads the finding history, which --no-history turns off',
          overridden ? 'drop --console-threshold/--access-key-threshold' : 'drop one of the two',
        );
      // Only scans at the configured thresholds count: one at other thresholds would resolve findings that
      // are merely below them.
      let opened: OpenedStore | undefined;
      let historyOff: string | undefined;
      if (overridden) historyOff = 'thresholds differ from the config, so this run is not recorded';
      else if (!opts.history) historyOff = '--no-history';
      else
        opened = await openStore(ctx.config, ctx.logger, { beside: true, clock: ctx.clock }).catch(
          (err: unknown) => {
            historyOff = `the store could not be opened: ${errorMessage(err)}`;
            return undefined;
          },
        );
      const accounts = opts.accounts?.split(',').filter(Boolean);
      const progress = accountProgress(env, ctx.clients.select(accounts).length);
      let result: ScanResult;
      let resolved: FindingRecord[] = [];
      try {
        result = await scan(ctx, {
          accounts,
          settings: { console_days: opts.consoleThreshold, access_key_days: opts.accessKeyThreshold },
          concurrency: opts.concurrency,
          onAccount: progress.onAccount,
          history: opened ? { store: opened.store.history, source: 'cli' } : undefined,
        }).finally(progress.done);
        if (!result.history && historyOff) result.historyError = historyOff;
        if (opened && result.history)
          resolved = await resolvedAfter(opened.store.history, result, result.history.previous?.at);
      } finally {
        await opened?.store.close();
      }
      const listed = opts.includeResolved ? resolved : [];
      const doc = findingsDocument(result, ctx.config.inactivity.ticket_min_severity, listed);

      await mkdir(opts.outputDir, { recursive: true });
      const base = join(opts.outputDir, `inactive-users-${stamp(result.analysisDate)}`);
      const files: string[] = [];
      if (opts.format.includes('csv')) {
        await pipeline(findingsCsvStream(result, listed), createWriteStream(`${base}.csv`));
        files.push(`${base}.csv`);
      }
      if (opts.format.includes('json')) {
        await pipeline(
          findingsJsonStream(result, ctx.config.inactivity.ticket_min_severity, listed),
          createWriteStream(`${base}.json`),
        );
        files.push(`${base}.json`);
      }

      let tickets: TicketSyncResult | undefined;
      let closed: TicketCloseResult | undefined;
      if (opts.createTickets || opts.dryRun) {
        const { client, jira } = createJiraClient(ctx.config);
        tickets = await syncTickets(client, jira, result.findings, {
          minSeverity: ctx.config.inactivity.ticket_min_severity,
          dryRun: Boolean(opts.dryRun),
          logger: ctx.logger,
        });
        closed = await closeResolvedTickets(client, jira, resolved, {
          dryRun: Boolean(opts.dryRun),
          logger: ctx.logger,
        });
      }
      const jiraFailed = (tickets?.failed.length ?? 0) + (closed?.failed.length ?? 0);

      const failed = failedAccounts(result);
      // Unreadable report rows are users nobody checked: like a failed account, they never pass as clean.
      const unreadable = unreadableRows(result);
      await ctx.auditor.record({
        actor: 'cli',
        action: 'scan',
        account: result.accounts.map((a) => a.accountId).join(','),
        target: '*',
        outcome: failed.length > 0 || unreadable.length > 0 ? 'failure' : 'success',
        requestId: `scan-${stamp(result.analysisDate)}`,
        details: {
          summary: doc.summary,
          failed: failed.map((a) => a.accountId),
          unreadable_rows: unreadable.length,
          tickets: tickets?.created.length ?? 0,
          tickets_closed: closed?.closed.length ?? 0,
          history: result.history
            ? {
                run: result.history.run.id,
                new: result.history.opened.size,
                resolved: result.history.resolved.length,
              }
            : { recorded: false, reason: result.historyError },
        },
      });

      if (globals.json) {
        io.out(
          `${JSON.stringify({
            ok: failed.length === 0 && unreadable.length === 0 && jiraFailed === 0,
            analysis_date: doc.analysis_date,
            summary: summarize(result.findings),
            report_generated_at: doc.report_generated_at,
            accounts_analyzed: doc.accounts_analyzed,
            accounts_failed: doc.accounts_failed,
            unreadable_rows: unreadable.map((u) => ({
              account_id: u.accountId,
              line: u.line,
              user: u.user,
              reason: u.reason,
            })),
            history: doc.history,
            resolved: opts.includeResolved ? doc.findings.filter((f) => f.status === 'RESOLVED') : undefined,
            files,
            tickets: tickets ?? null,
            tickets_closed: closed ?? null,
          })}\n`,
        );
      } else {
        io.out(findingsText(result));
        if (result.history) io.out(historyText(result, opts.includeResolved ? resolved : undefined));
        // Asked for with --no-history: nothing to say. Otherwise (other thresholds, no store) say why not.
        else if (opts.history) io.err(historyText(result, undefined));
        for (const f of files) io.out(`wrote ${f}\n`);
        if (tickets) {
          const findingById = new Map(result.findings.map((f) => [f.id, f]));
          const verb = tickets.dryRun ? 'would create' : 'created';
          io.out(
            `Jira: ${verb} ${tickets.created.length}, already open ${tickets.existing.length}, below ${ctx.config.inactivity.ticket_min_severity} ${tickets.belowSeverity}\n`,
          );
          for (const c of tickets.created) {
            const f = findingById.get(c.findingId);
            io.out(`  ${c.key || '(dry-run)'} ${c.findingId} ${f?.accountName}/${f?.userName} ${f?.type}\n`);
          }
          for (const e of tickets.failed) io.err(`Jira: ${e.findingId}: ${e.error}\n`);
        }
        if (closed && (closed.closed.length || closed.noDoneTransition.length || closed.failed.length)) {
          io.out(
            `Jira: ${closed.dryRun ? 'would close' : 'closed'} ${closed.closed.length} ticket(s) of resolved findings${closed.closed.length ? `: ${closed.closed.map((c) => c.key).join(', ')}` : ''}\n`,
          );
          for (const c of closed.noDoneTransition)
            io.err(
              `Jira: ${c.key} (${c.findingId}) resolved, but its workflow offers no transition to Done\n`,
            );
          for (const e of closed.failed)
            io.err(`Jira: ${e.key ?? e.findingId}: could not close: ${e.error}\n`);
        }
        for (const a of failed)
          io.err(`account ${a.accountName} (${a.accountId}) could not be analysed: ${a.error?.message}\n`);
        for (const u of unreadable)
          io.err(
            `account ${u.accountName} (${u.accountId}): credential report ${unreadableText(u)}; that user was not checked\n`,
          );
      }

      if (failed.length > 0 || unreadable.length > 0 || jiraFailed > 0) env.setExit(EXIT_ERROR);
      else env.setExit(result.findings.length > 0 ? EXIT_PARTIAL : EXIT_OK);
    });
};
