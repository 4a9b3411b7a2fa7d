import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import {
  generateReport,
  REPORT_TYPES,
  type ReportType,
  reportCsv,
  reportText,
} from '../../core/detect/reports.js';
import { unreadableText } from '../../core/detect/scan.js';
import { buildContext } from '../context.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_ERROR } from '../io.js';
import { accountProgress } from '../progress.js';

function reportType(v: string): ReportType {
  if (!(REPORT_TYPES as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`choose one of ${REPORT_TYPES.join(', ')}`);
  }
  return v as ReportType;
}

/** `aws-user report <access|compliance|security|cost>`: text by default, or CSV/JSON to stdout or a file. */
export const reportCommand: RegisterCliCommand = (program, env) => {
  program
    .command('report')
    .description('access, compliance, security or cost report across accounts')
    .argument('<type>', REPORT_TYPES.join(' | '), reportType)
    .option('--accounts <ids>', 'comma-separated account ids or names (default: all configured)')
    .option('--format <format>', 'text, csv or json (default text; --json implies json)')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (type: ReportType, opts: { accounts?: string; format?: string; output?: string }) => {
      const globals = env.globals();
      const format = opts.format ?? (globals.json ? 'json' : 'text');
      if (!['text', 'csv', 'json'].includes(format))
        throw new InvalidArgumentError('--format: text, csv or json');
      const ctx = await buildContext(globals, env.deps);
      const accounts = opts.accounts?.split(',').filter(Boolean);
      const progress = accountProgress(env, ctx.clients.select(accounts).length);
      const report = await generateReport(ctx, type, { accounts, onAccount: progress.onAccount }).finally(
        progress.done,
      );
      // An unreadable credential-report row is a user nobody checked: an error, as a failed account is.
      const unreadable = report.accounts.flatMap((a) => a.unreadable_rows.map((u) => ({ a, u })));
      const ok = report.accounts_failed.length === 0 && unreadable.length === 0;
      const body =
        format === 'json'
          ? `${JSON.stringify({ ok, ...report })}\n`
          : format === 'csv'
            ? reportCsv(report)
            : reportText(report);
      if (opts.output) {
        await writeFile(opts.output, body, 'utf8');
        env.io.out(`wrote ${opts.output}\n`);
      } else env.io.out(body);
      for (const f of report.accounts_failed)
        env.io.err(`account ${f.name} (${f.id}) could not be analysed: ${f.error}\n`);
      for (const { a, u } of unreadable)
        env.io.err(
          `account ${a.name} (${a.id}): credential report ${unreadableText(u)}; that user was not checked\n`,
        );
      if (!ok) env.setExit(EXIT_ERROR);
    });
};
