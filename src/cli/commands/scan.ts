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
  summarize,
} from '../../core/detect/findings-report.js';
import { failedAccounts, scan, unreadableRows, unreadableText } from '../../core/detect/scan.js';
import { createJiraClient, syncTickets, type TicketSyncResult } from '../../integrations/jira.js';
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
    .action(async (opts: ScanCliOptions) => {
      const globals = env.globals();
      const ctx = await buildContext(globals, env.deps);
      const io = env.io;
      const accounts = opts.accounts?.split(',').filter(Boolean);
      const progress = accountProgress(env, ctx.clients.select(accounts).length);
      const result = await scan(ctx, {
        accounts,
        settings: { console_days: opts.consoleThreshold, access_key_days: opts.accessKeyThreshold },
        concurrency: opts.concurrency,
        onAccount: progress.onAccount,
      }).finally(progress.done);
      const doc = findingsDocument(result, ctx.config.inactivity.ticket_min_severity);

      await mkdir(opts.outputDir, { recursive: true });
      const base = join(opts.outputDir, `inactive-users-${stamp(result.analysisDate)}`);
      const files: string[] = [];
      if (opts.format.includes('csv')) {
        await pipeline(findingsCsvStream(result), createWriteStream(`${base}.csv`));
        files.push(`${base}.csv`);
      }
      if (opts.format.includes('json')) {
        await pipeline(
          findingsJsonStream(result, ctx.config.inactivity.ticket_min_severity),
          createWriteStream(`${base}.json`),
        );
        files.push(`${base}.json`);
      }

      let tickets: TicketSyncResult | undefined;
      if (opts.createTickets || opts.dryRun) {
        const { client, jira } = createJiraClient(ctx.config);
        tickets = await syncTickets(client, jira, result.findings, {
          minSeverity: ctx.config.inactivity.ticket_min_severity,
          dryRun: Boolean(opts.dryRun),
          logger: ctx.logger,
        });
      }

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
        },
      });

      if (globals.json) {
        io.out(
          `${JSON.stringify({
            ok: failed.length === 0 && unreadable.length === 0 && (tickets?.failed.length ?? 0) === 0,
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
            files,
            tickets: tickets ?? null,
          })}\n`,
        );
      } else {
        io.out(findingsText(result));
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
        for (const a of failed)
          io.err(`account ${a.accountName} (${a.accountId}) could not be analysed: ${a.error?.message}\n`);
        for (const u of unreadable)
          io.err(
            `account ${u.accountName} (${u.accountId}): credential report ${unreadableText(u)}; that user was not checked\n`,
          );
      }

      if (failed.length > 0 || unreadable.length > 0 || (tickets?.failed.length ?? 0) > 0)
        env.setExit(EXIT_ERROR);
      else env.setExit(result.findings.length > 0 ? EXIT_PARTIAL : EXIT_OK);
    });
};
