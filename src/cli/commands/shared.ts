import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Actor, CoreContext } from '../../core/context.js';
import type { PlannedCall } from '../../core/templates.js';
import { buildContext } from '../context.js';
import type { CliCommandEnv } from '../index.js';

/** Who runs the CLI, for the audit trail and the AssumeRole session name. */
export function cliActor(env: CliCommandEnv): Actor {
  const name = env.deps.env.AWS_USER_ACTOR ?? env.deps.env.USER ?? 'unknown';
  return { actor: `cli:${name}`, requestId: randomUUID() };
}

export function context(env: CliCommandEnv): Promise<CoreContext> {
  return buildContext(env.globals(), env.deps);
}

export function isJson(env: CliCommandEnv): boolean {
  return Boolean(env.globals().json);
}

/** Writes one JSON document (with --json) or the text lines. */
export function emit(env: CliCommandEnv, json: Record<string, unknown>, text: () => string[]): void {
  if (isJson(env)) env.io.out(`${JSON.stringify(json)}\n`);
  else for (const line of text()) env.io.out(`${line}\n`);
}

export function formatPlan(plan: readonly PlannedCall[]): string[] {
  if (plan.length === 0) return ['  (nothing to do)'];
  return plan.map((c) => {
    const params = Object.entries(c.params)
      .filter(([k]) => k !== 'PolicyDocument')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `  ${c.action} ${params}`;
  });
}

/** --account and --dry-run, which every mutating command takes. */
export function mutating(cmd: Command): Command {
  return cmd
    .option('--account <id|name>', 'target account (id or name from the config); default: the home account')
    .option('--dry-run', 'print the plan of IAM calls and make none');
}

export function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(/[;,]/)
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function repeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function int(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
    return n;
  };
}

/** `--account <id|name>` → the account's id, resolved once here; default: the home account. */
export function accountId(ctx: CoreContext, given: string | undefined): string {
  return ctx.clients.resolve(given ?? ctx.clients.home.id).id;
}
