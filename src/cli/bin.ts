#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { run } from './index.js';
import type { CliIo } from './io.js';

const io: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdin.isTTY),
  async prompt(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return (await rl.question(question)).trim();
    } finally {
      rl.close();
    }
  },
};

process.exitCode = await run(process.argv.slice(2), io, { env: process.env });
