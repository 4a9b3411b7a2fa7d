import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import type { Clock } from '../../core/clock.js';
import type { Actor, CoreContext } from '../../core/context.js';
import type { PlannedCall } from '../../core/templates.js';
import { ConfigError, errorMessage, StoreUnavailableError } from '../../errors.js';
import { openStore, SQLITE_FILE } from '../../store/open.js';
import type { Store } from '../../store/types.js';
import { buildContext, cliLogger } from '../context.js';
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

/** A file written under a temporary name and renamed when complete: a failed export leaves no partial trail. */
export async function fileSink(path: string) {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial, { encoding: 'utf8', mode: 0o600 });
  await once(out, 'open');
  return {
    write: async (text: string) => {
      if (!out.write(text)) await once(out, 'drain');
    },
    async commit() {
      out.end();
      await once(out, 'finish');
      await rename(partial, path);
    },
    async abort() {
      out.destroy();
      await rm(partial, { force: true });
    },
  };
}

/**
 * The bot's store, read-only and without the instance lock (the CLI runs beside the bot that holds it), and
 * answering: a missing SQLite file or an unreachable Redis is said plainly, naming DATA_DIR / REDIS_URL.
 * `what` names what the command reads there ("audit trail", "access reviews").
 */
export async function openBotStore(env: CliCommandEnv, clock: Clock, what: string): Promise<Store> {
  const globals = env.globals();
  const config = loadConfig(env.deps.env, globals.config);
  const logger = cliLogger(globals, config, env.deps);
  const { store, kind } = await openStore(config, logger, { readOnly: true, clock }).catch((err: unknown) => {
    if (config.env.redisUrl) throw err;
    const path = join(resolve(config.env.dataDir), SQLITE_FILE);
    throw new ConfigError('environment', [
      `DATA_DIR: no ${what} readable at ${path} (${errorMessage(err)}); point DATA_DIR (or REDIS_URL) at the bot's store`,
    ]);
  });
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    throw new StoreUnavailableError(
      `the ${kind} store is not reachable: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`,
      { cause: err },
    );
  }
  return store;
}
