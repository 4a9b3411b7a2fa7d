import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EVENTS_PATH } from '../../src/app.js';
import { freePort, waitFor } from './ports.js';

/**
 * Real bot processes (the replica suite, the Socket Mode restart): `npm start`'s command (read from
 * package.json, so the two cannot drift apart; dist/ is built by the global setup) spawned directly with node,
 * not through npm, so a signal (SIGTERM, or kill -9 for a crash) reaches the bot itself rather than an npm
 * wrapper that may not forward it, or would die alone and leave the bot running.
 */

/** `npm start`'s arguments after `node`. */
export function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  const [cmd, ...args] = pkg.scripts.start.split(/\s+/);
  if (cmd !== 'node') throw new Error(`npm start is "${pkg.scripts.start}"; the tests expect "node …"`);
  return args;
}

export interface BotProcess {
  /** REPLICA_ID. */
  id: string;
  proc: ChildProcess;
  port: number;
  /** Where Slack posts events, commands and interactions. */
  url: string;
  healthUrl: string;
  /** stdout and stderr so far. */
  output(): string;
  /** The exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

/** Every process started, for the afterAll sweep. */
const started: ChildProcess[] = [];

/**
 * Starts one bot on a free port and resolves once its /healthz answers 200. `cwd`: the tree to run it from
 * (default: this one), such as a production install elsewhere.
 */
export async function startBotProcess(
  id: string,
  env: Record<string, string>,
  opts: { cwd?: string } = {},
): Promise<BotProcess> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, startCommand(), {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`bot ${id} exited ${proc.exitCode}: ${out}`);
      return (await fetch(`${base}/healthz`)).ok;
    },
    30_000,
    `bot ${id}'s /healthz (${out.slice(-2000)})`,
  );
  return {
    id,
    proc,
    port,
    url: `${base}${EVENTS_PATH}`,
    healthUrl: `${base}/healthz`,
    output: () => out,
    exit,
  };
}

/** SIGKILLs whatever is still running: a failed test must not leave bots posting into the next file. */
export async function killAll(): Promise<void> {
  const alive = started.filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(
    alive.map(
      (p) =>
        new Promise<void>((resolve) => {
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        }),
    ),
  );
}

/** The pino JSON lines of a process's output (anything else, such as a stack on stderr, is skipped). */
export function logLines(output: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the read so far, or not ours
    }
  }
  return lines;
}
