import type { CliDeps } from '../../src/cli/context.js';
import { run } from '../../src/cli/index.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the CLI in-process with captured output; `answers` feed prompt() in order. stderr is not a terminal
 * unless `tty.errIsTTY` says so (the progress line's condition).
 */
export async function runCli(
  argv: string[],
  deps: CliDeps,
  answers: string[] = [],
  tty: { errIsTTY?: boolean } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    isTTY: false,
    errIsTTY: tty.errIsTTY ?? false,
    prompt: async (q) => {
      stderr += q;
      const a = answers.shift();
      if (a === undefined) throw new Error(`unexpected prompt: ${q}`);
      return a;
    },
  };
  const code = await run(argv, io, deps);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
