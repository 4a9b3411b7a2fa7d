import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { bulkCreate, MAX_BULK_BYTES, parseBulk } from '../../core/users/bulk.js';
import { ValidationError } from '../../errors.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_PARTIAL } from '../io.js';
import { rowProgress } from '../progress.js';
import { accountId, cliActor, context, emit, int, mutating } from './shared.js';

export const bulkCreateCommand: RegisterCliCommand = (program, env) => {
  mutating(
    program
      .command('bulk-create')
      .description(
        'create users from a CSV or JSON file (username,email,department,template,groups,manager,cost_center)',
      )
      .requiredOption('--file <path>', 'CSV (header line required) or JSON array')
      .option('--format <csv|json>', 'default: from the file extension')
      .option(
        '--all-or-nothing',
        'create nothing unless every row is valid (and undo the run if a creation fails)',
      )
      .option(
        '--concurrency <n>',
        'parallel creations (default: bulk.concurrency from the config)',
        int('--concurrency'),
      )
      .option('--show-passwords', 'print each generated console password once on stdout'),
  ).action(
    async (o: {
      file: string;
      format?: string;
      allOrNothing?: boolean;
      concurrency?: number;
      showPasswords?: boolean;
      account?: string;
      dryRun?: boolean;
    }) => {
      const format = (o.format ?? (extname(o.file).toLowerCase() === '.json' ? 'json' : 'csv')).toLowerCase();
      if (format !== 'csv' && format !== 'json')
        throw new ValidationError('--format', `"${format}"`, 'use csv or json');
      let size: number;
      try {
        size = (await stat(o.file)).size;
      } catch (err) {
        throw new ValidationError('--file', `cannot read ${o.file}`, 'check the path', { cause: err });
      }
      const ctx = await context(env);
      const parsed =
        size > MAX_BULK_BYTES
          ? {
              rows: [],
              errors: [{ line: 0, reason: 'file is larger than 10 MB; split it into smaller files' }],
            }
          : parseBulk(await readFile(o.file, 'utf8'), format, ctx.config);
      const skipAll = parsed.errors.length > 0 && (o.allOrNothing || parsed.rows.length === 0);
      const progress = skipAll
        ? undefined
        : rowProgress(env, parsed.rows.length + parsed.errors.length, parsed.errors.length);
      const { results } = progress
        ? await bulkCreate(ctx, parsed.rows, cliActor(env), {
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
            account: accountId(ctx, o.account),
            allOrNothing: Boolean(o.allOrNothing),
            dryRun: Boolean(o.dryRun),
            onRow: progress.onRow,
          }).finally(progress.done)
        : { results: [] };
      const invalid = parsed.errors.map((e) => ({
        line: e.line,
        status: 'invalid' as const,
        error: e.reason,
      }));
      const shown = results.map(({ password, ...r }) => ({
        ...r,
        ...(password && o.showPasswords ? { password } : {}),
      }));
      const failed = invalid.length + results.filter((r) => r.status === 'failed').length;
      const count = (s: string) => results.filter((r) => r.status === s).length;
      const summary = {
        rows: parsed.rows.length + parsed.errors.length,
        created: count('created'),
        unchanged: count('unchanged'),
        dryRun: count('dry-run'),
        failed,
      };
      emit(env, { ok: failed === 0, summary, invalid, results: shown }, () => [
        ...invalid.map((e) => `line ${e.line}: invalid: ${e.error}`),
        ...(skipAll && parsed.rows.length > 0
          ? ['nothing created: --all-or-nothing and some rows are invalid']
          : []),
        ...shown.map(
          (r) =>
            `line ${r.line}: ${r.username}: ${r.status}${r.error ? `: ${r.error}` : ''}${'password' in r ? `: password ${r.password}` : ''}`,
        ),
        `${summary.created} created, ${summary.unchanged} unchanged, ${summary.dryRun} planned, ${failed} failed or invalid of ${summary.rows} rows`,
        ...(summary.created > 0 && !o.showPasswords
          ? [
              'console passwords were generated but NOT shown (PasswordResetRequired is set); use --show-passwords',
            ]
          : []),
      ]);
      if (failed > 0) env.setExit(EXIT_PARTIAL);
    },
  );
};
