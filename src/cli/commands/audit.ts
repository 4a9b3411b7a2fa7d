import type { AuditEvent } from '../../core/audit.js';
import { type Clock, parseWhen, systemClock } from '../../core/clock.js';
import { csvCell } from '../../core/csv.js';
import { ValidationError } from '../../errors.js';
import type { AuditLog } from '../../store/types.js';
import type { CliCommandEnv, RegisterCliCommand } from '../index.js';
import { fileSink, isJson, openBotStore } from './shared.js';

/** Events read per `scan` call: the export streams page by page, so a 400-day trail never sits in memory. */
export const EXPORT_PAGE = 1_000;

/**
 * The CSV columns, in this order, stable across releases (auditors script against them): the event's
 * fields, `error` empty on success, `details` as one JSON object (empty when the event has none).
 */
export const CSV_COLUMNS = [
  'id',
  'ts',
  'actor',
  'action',
  'account',
  'target',
  'outcome',
  'requestId',
  'error',
  'details',
] as const;

export function csvRow(e: AuditEvent): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
    id: e.id,
    ts: e.ts,
    actor: e.actor,
    action: e.action,
    account: e.account,
    target: e.target,
    outcome: e.outcome,
    requestId: e.requestId,
    error: e.error ?? '',
    details: e.details ? JSON.stringify(e.details) : '',
  };
  return `${CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',')}\r\n`;
}

type Format = 'jsonl' | 'csv';

/** Writes every event in [since, until) page by page through `write`; returns how many. */
export async function exportAudit(
  log: AuditLog,
  range: { since: Date; until?: Date },
  format: Format,
  write: (text: string) => Promise<void>,
): Promise<number> {
  if (format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await log.scan({ ...range, limit: EXPORT_PAGE, ...(cursor ? { cursor } : {}) });
    if (page.events.length > 0) {
      await write(page.events.map((e) => (format === 'csv' ? csvRow(e) : `${JSON.stringify(e)}\n`)).join(''));
    }
    count += page.events.length;
    cursor = page.cursor;
  } while (cursor);
  return count;
}

interface ExportOptions {
  since: string;
  until?: string;
  format: string;
  output?: string;
}

async function runExport(env: CliCommandEnv, opts: ExportOptions, clock: Clock): Promise<void> {
  const now = clock.now();
  const since = parseWhen('--since', opts.since, now);
  const until = opts.until ? parseWhen('--until', opts.until, now) : undefined;
  if (until && until.getTime() <= since.getTime())
    throw new ValidationError(
      '--until',
      `${until.toISOString()} is not after --since ${since.toISOString()}`,
    );
  if (opts.format !== 'jsonl' && opts.format !== 'csv')
    throw new ValidationError('--format', `"${opts.format}" is not a format`, 'choose jsonl or csv');
  const format: Format = opts.format;

  const store = await openBotStore(env, clock, 'audit trail');
  try {
    const range = { since, ...(until ? { until } : {}) };
    let count: number;
    if (opts.output) {
      const file = await fileSink(opts.output);
      try {
        count = await exportAudit(store.audit, range, format, file.write);
        await file.commit();
      } catch (err) {
        await file.abort();
        throw err;
      }
    } else {
      count = await exportAudit(store.audit, range, format, async (t) => env.io.out(t));
    }
    const summary = {
      ok: true,
      events: count,
      since: since.toISOString(),
      ...(until ? { until: until.toISOString() } : {}),
      format,
      ...(opts.output ? { output: opts.output } : {}),
    };
    // stdout carries the trail itself unless it went to a file.
    if (opts.output) {
      env.io.out(
        isJson(env) ? `${JSON.stringify(summary)}\n` : `wrote ${count} audit events to ${opts.output}\n`,
      );
    } else env.io.err(`exported ${count} audit events\n`);
  } finally {
    await store.close();
  }
}

/** `aws-user audit export --since <when> [--until <when>] [--format jsonl|csv] [--output <file>]`. */
export const auditCommand: RegisterCliCommand = (program, env) => {
  const audit = program.command('audit').description('the audit trail the bot keeps (read-only)');
  audit
    .command('export')
    .description('write the audit trail for a time range, oldest first, as JSON Lines or CSV')
    .requiredOption(
      '--since <when>',
      'start (inclusive): an ISO date or date-time, or a duration ago like 90d',
    )
    .option('--until <when>', 'end (exclusive), same forms; default: no end')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--output <file>', 'write to this file (created complete or not at all) instead of stdout')
    .action((opts: ExportOptions) => runExport(env, opts, env.deps.clock ?? systemClock));
};
