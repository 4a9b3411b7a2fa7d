import { CsvError, parse } from 'csv-parse/sync';
import pLimit from 'p-limit';
import type { FileConfig } from '../../config.js';
import { AwsUserError, errorMessage } from '../../errors.js';
import { audited } from '../audit.js';
import type { Actor, CoreContext } from '../context.js';
import { getTemplate, validateEmail, validateGroupName, validateUsername } from '../templates.js';
import { createUser, validateCreate } from './create.js';
import { deleteUser } from './delete.js';
import { ExistenceCache } from './existence.js';
import { type CreateUserInput, checkCreateInput } from './input.js';

/**
 * Bulk create from CSV or JSON. Every row is validated first and every bad row reported with its line
 * (CSV: physical line in the file, the header being line 1; JSON: the 1-based position in the array).
 * Valid rows are then created with bounded concurrency; one bad row never stops the others unless
 * all-or-nothing is asked for.
 */
export const BULK_COLUMNS = [
  'username',
  'email',
  'department',
  'template',
  'groups',
  'manager',
  'cost_center',
] as const;
export const MAX_BULK_BYTES = 10 * 1024 * 1024;

export interface BulkRow {
  line: number;
  username: string;
  email: string;
  department?: string;
  template: string;
  groups: string[];
  manager?: string;
  costCenter?: string;
}

export interface BulkError {
  line: number;
  reason: string;
}

export interface BulkResult {
  line: number;
  username: string;
  status: 'created' | 'unchanged' | 'failed' | 'dry-run';
  error?: string;
  /** Only for rows whose login profile was just created; never logged. */
  password?: string;
}

function splitGroups(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((g) => String(g).trim()).filter(Boolean);
  if (typeof v !== 'string') return [];
  return v
    .split(';')
    .map((g) => g.trim())
    .filter(Boolean);
}

function opt(v: unknown): string | undefined {
  const s = typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v);
  return s === '' ? undefined : s;
}

/** Checks one row without IAM; returns the reason it is bad, or undefined. */
function rowProblem(row: BulkRow, config: Pick<FileConfig, 'templates'>): string | undefined {
  try {
    validateUsername(row.username);
    validateEmail(row.email);
    getTemplate(config, row.template);
    for (const g of row.groups) validateGroupName(g);
    checkCreateInput({ config: config as CoreContext['config'] }, profileOf(row));
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

function profileOf(row: BulkRow): Omit<CreateUserInput, 'account'> {
  return {
    username: row.username,
    email: row.email,
    template: row.template,
    extraGroups: row.groups,
    ...(row.department ? { department: row.department } : {}),
    ...(row.manager ? { manager: row.manager } : {}),
    ...(row.costCenter ? { costCenter: row.costCenter } : {}),
  };
}

const toInput = (row: BulkRow, account: string): CreateUserInput => ({ ...profileOf(row), account });

export function parseBulk(
  text: string,
  format: 'csv' | 'json',
  config: Pick<FileConfig, 'templates'>,
): { rows: BulkRow[]; errors: BulkError[] } {
  if (Buffer.byteLength(text, 'utf8') > MAX_BULK_BYTES) {
    return {
      rows: [],
      errors: [{ line: 0, reason: 'file is larger than 10 MB; split it into smaller files' }],
    };
  }
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    return {
      rows: [],
      errors: [{ line: 0, reason: `file is empty; expected a header line: ${BULK_COLUMNS.join(',')}` }],
    };
  }
  const candidates: BulkRow[] = [];
  const errors: BulkError[] = [];
  if (format === 'csv') {
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parse(text, {
        bom: true,
        info: true,
        relax_column_count: true,
        skip_empty_lines: true,
        trim: true,
      }) as unknown as typeof records;
    } catch (err) {
      const line = err instanceof CsvError ? Number((err as CsvError & { lines?: number }).lines ?? 0) : 0;
      return { rows: [], errors: [{ line, reason: `not valid CSV: ${errorMessage(err)}` }] };
    }
    const [header, ...body] = records;
    const got = (header?.record ?? []).map((h) => h.trim().toLowerCase());
    if (got.join(',') !== BULK_COLUMNS.join(',')) {
      return {
        rows: [],
        errors: [
          {
            line: header?.info.lines ?? 1,
            reason: `header must be exactly "${BULK_COLUMNS.join(',')}", got "${(header?.record ?? []).join(',').slice(0, 200)}"`,
          },
        ],
      };
    }
    if (body.length === 0)
      return { rows: [], errors: [{ line: 1, reason: 'file has a header but no rows' }] };
    for (const { record, info } of body) {
      if (record.length !== BULK_COLUMNS.length) {
        errors.push({
          line: info.lines,
          reason: `expected ${BULK_COLUMNS.length} columns, got ${record.length}`,
        });
        continue;
      }
      const [username, email, department, template, groups, manager, costCenter] = record as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      candidates.push({
        line: info.lines,
        username,
        email,
        template,
        groups: splitGroups(groups),
        ...(opt(department) ? { department: department } : {}),
        ...(opt(manager) ? { manager } : {}),
        ...(opt(costCenter) ? { costCenter } : {}),
      });
    }
  } else {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      return { rows: [], errors: [{ line: 0, reason: `not valid JSON: ${errorMessage(err)}` }] };
    }
    if (!Array.isArray(data)) {
      return {
        rows: [],
        errors: [{ line: 0, reason: 'JSON must be an array of objects with the CSV column names' }],
      };
    }
    if (data.length === 0) return { rows: [], errors: [{ line: 0, reason: 'the array is empty' }] };
    data.forEach((item, i) => {
      const line = i + 1;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        errors.push({ line, reason: 'expected an object' });
        return;
      }
      const o = item as Record<string, unknown>;
      const unknown = Object.keys(o).filter((k) => !(BULK_COLUMNS as readonly string[]).includes(k));
      if (unknown.length > 0) {
        errors.push({
          line,
          reason: `unknown field(s) ${unknown.join(', ')}; use ${BULK_COLUMNS.join(', ')}`,
        });
        return;
      }
      const department = opt(o.department);
      const manager = opt(o.manager);
      const costCenter = opt(o.cost_center);
      candidates.push({
        line,
        username: String(o.username ?? '').trim(),
        email: String(o.email ?? '').trim(),
        template: String(o.template ?? '').trim(),
        groups: splitGroups(o.groups),
        ...(department ? { department } : {}),
        ...(manager ? { manager } : {}),
        ...(costCenter ? { costCenter } : {}),
      });
    });
  }
  const rows: BulkRow[] = [];
  const firstLine = new Map<string, number>();
  for (const row of candidates) {
    const problem = rowProblem(row, config);
    if (problem) {
      errors.push({ line: row.line, reason: problem });
      continue;
    }
    const key = row.username.toLowerCase(); // IAM user names are case-insensitive
    const first = firstLine.get(key);
    if (first !== undefined) {
      errors.push({
        line: row.line,
        reason: `duplicate username "${row.username}" (first on line ${first})`,
      });
      continue;
    }
    firstLine.set(key, row.line);
    rows.push(row);
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors };
}

export interface BulkOptions {
  concurrency?: number;
  allOrNothing?: boolean;
  dryRun?: boolean;
  account: string;
  /** Called once per row as its outcome is first known (progress for the CLI). */
  onRow?: ((result: BulkResult) => void) | undefined;
}

export async function bulkCreate(
  ctx: CoreContext,
  rows: BulkRow[],
  who: Actor,
  opts: BulkOptions,
): Promise<{ results: BulkResult[] }> {
  const concurrency = opts.concurrency ?? ctx.config.bulk.concurrency;
  const cache = new ExistenceCache();
  const account = ctx.clients.resolve(opts.account).id;
  const results = new Map<number, BulkResult>();
  const settle = (r: BulkResult) => {
    // A rollback later rewrites a row's outcome; progress counts each row once.
    if (!results.has(r.line)) opts.onRow?.(r);
    results.set(r.line, r);
  };
  const fail = (row: BulkRow, error: string) =>
    settle({ line: row.line, username: row.username, status: 'failed', error });

  // Pre-flight against IAM: groups and policies exist (one lookup each per run, shared through the cache).
  // With all-or-nothing it must also rule out conflicting existing users, so it goes through validateCreate.
  const valid: BulkRow[] = [];
  await pLimit(concurrency).map(rows, async (row) => {
    try {
      if (opts.allOrNothing) await validateCreate(ctx, toInput(row, account), who, cache);
      else checkCreateInput(ctx, toInput(row, account));
      valid.push(row);
    } catch (err) {
      fail(row, errorMessage(err));
    }
  });
  if (opts.allOrNothing && valid.length < rows.length) {
    for (const row of valid) fail(row, 'not created: another row is invalid and --all-or-nothing was given');
    return { results: sorted(results) };
  }

  const created: BulkRow[] = [];
  let aborted = false;
  valid.sort((a, b) => a.line - b.line);
  // all-or-nothing stops taking rows once one fails; those in flight finish.
  await pLimit(concurrency).map(valid, async (row) => {
    if (aborted) return;
    try {
      const r = await createUser(ctx, toInput(row, account), who, {
        cache,
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      if (r.status === 'created') created.push(row);
      settle({
        line: row.line,
        username: row.username,
        status: r.status,
        ...(r.password ? { password: r.password } : {}),
      });
    } catch (err) {
      fail(row, err instanceof AwsUserError ? err.message : errorMessage(err));
      if (opts.allOrNothing) aborted = true;
    }
  });
  if (aborted) {
    // all-or-nothing: undo the users this run created, then report every row as not created.
    for (const row of created) {
      try {
        await deleteUser(ctx, { account, username: row.username }, who);
        fail(row, 'rolled back: another row failed and --all-or-nothing was given');
      } catch (err) {
        fail(row, `created, and could NOT be rolled back: ${errorMessage(err)}`);
      }
    }
    for (const row of valid)
      if (!results.has(row.line)) fail(row, 'not attempted: another row failed (--all-or-nothing)');
  }
  const list = sorted(results);
  const count = (s: BulkResult['status']) => list.filter((r) => r.status === s).length;
  // One summary event for the run; each row's create has its own.
  const scope = { action: 'user.bulk-create', account, target: `${rows.length} rows` };
  return audited(ctx, who, scope, async () => ({
    result: { results: list },
    outcome: opts.dryRun ? 'dry-run' : count('failed') > 0 ? 'failure' : 'success',
    details: {
      rows: rows.length,
      created: count('created'),
      unchanged: count('unchanged'),
      failed: count('failed'),
      groupAndPolicyLookups: cache.lookups,
    },
  }));
}

function sorted(results: Map<number, BulkResult>): BulkResult[] {
  return [...results.values()].sort((a, b) => a.line - b.line);
}
