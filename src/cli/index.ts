import { Command, CommanderError } from 'commander';
import { AwsUserError, errorMessage } from '../errors.js';
import { commands } from './commands/index.js';
import type { CliDeps, GlobalOptions } from './context.js';
import { type CliIo, EXIT_ERROR, EXIT_PARTIAL } from './io.js';

/** What each command file exports: it adds itself to the program and sets the exit code via `result`. */
export interface CliCommandEnv {
  io: CliIo;
  deps: CliDeps;
  globals: () => GlobalOptions;
  /** Set by the action; 0 unless said otherwise. */
  setExit(code: number): void;
}

export type RegisterCliCommand = (program: Command, env: CliCommandEnv) => void;

/**
 * Bad input, bad config and the unexpected are 2; a well-formed request that failed on its target
 * (conflict, limit, not found, a failed step, an unreachable account) is 1, like a failed bulk row.
 */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof AwsUserError)) return EXIT_ERROR;
  return err.code === 'VALIDATION' || err.code === 'CONFIG' || err.code === 'INTERNAL'
    ? EXIT_ERROR
    : EXIT_PARTIAL;
}

/**
 * Runs the CLI in-process and returns the exit code: 0 success, 1 some rows/targets failed (or findings),
 * 2 usage, config or unexpected error. Never calls process.exit, so tests drive it directly.
 */
export async function run(argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  let exitCode = 0;
  const program = new Command('aws-user')
    .description('Provision, review and retire AWS IAM users (the core of the aws-user Slack bot)')
    .option('-c, --config <path>', 'config file (YAML or JSON); default $AWS_USER_CONFIG or ./config.yml')
    .option('--json', 'machine-readable output on stdout')
    .option('--audit-log <path>', 'append audit events to this JSON Lines file')
    .option('-v, --verbose', 'debug logging on stderr')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run aws-user --help for usage)');
  const env: CliCommandEnv = {
    io,
    deps,
    globals: () => program.opts<GlobalOptions>(),
    setExit: (c) => {
      exitCode = Math.max(exitCode, c);
    },
  };
  for (const register of commands) register(program, env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0 through the same path.
      return err.exitCode === 0 ? 0 : EXIT_ERROR;
    }
    const json = program.opts<GlobalOptions>().json;
    const code = err instanceof AwsUserError ? err.code : 'INTERNAL';
    if (json) io.out(`${JSON.stringify({ ok: false, error: { code, message: errorMessage(err) } })}\n`);
    else io.err(`error: ${errorMessage(err)}\n`);
    return exitCodeFor(err);
  }
}
