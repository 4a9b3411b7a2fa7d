#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { run } from './index.js';
import type { CliIo } from './io.js';

// The SDK prints an 8-line Node-support notice on stderr on every run of a Node 20 process; for a CLI run from
// scripts that is noise on every call (engines and the README already state the Node requirement).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const io: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdin.isTTY),
  errIsTTY: Boolean(process.stderr.isTTY),
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
