import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { freePort, waitFor } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

let started: ChildProcess | undefined;

/**
 * Checks the real parts the suite needs exist, and provides a Redis URL: the machine's 127.0.0.1:6379 when it
 * answers, else a redis-server of our own on a free port. Tests isolate themselves with random key prefixes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0) {
    throw new Error("moto_server not found on PATH: install it with pip install 'moto[server]==5.2.1'");
  }
  // The files that run the real process (`npm start`: node dist/main.js) need dist/ built from this tree.
  // Built once here, before any file starts: a file building it while another file's bot runs from it
  // would rewrite dist/ under that bot.
  const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  let url = process.env.REDIS_TEST_URL;
  if (!url) {
    if (await redisAnswers(6379)) {
      url = 'redis://127.0.0.1:6379';
    } else {
      if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
        throw new Error(
          'No Redis answers on 127.0.0.1:6379 and redis-server is not installed: apt-get install redis-server, or set REDIS_TEST_URL',
        );
      }
      const port = await freePort();
      started = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      await waitFor(() => redisAnswers(port), 10_000, `redis-server on port ${port}`);
      url = `redis://127.0.0.1:${port}`;
    }
  }
  project.provide('redisUrl', url);
  return async () => {
    started?.kill('SIGTERM');
  };
}
