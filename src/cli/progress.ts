import { type Clock, systemClock } from '../core/clock.js';
import type { CliCommandEnv } from './index.js';
import type { CliIo } from './io.js';

/** One line of progress on stderr that rewrites itself while long work runs. */
export interface Progress {
  update(text: string): void;
  /** Draws the last state if a throttled one is pending, and ends the line. Safe to call twice. */
  done(): void;
}

/** A terminal redraws faster than anyone reads; ten frames a second look live and cost nothing. */
export const PROGRESS_INTERVAL_MS = 100;

const CLEAR_LINE = '\r\x1b[2K';
const QUIET: Progress = { update() {}, done() {} };

/**
 * Progress only for a person at a terminal: piped or logged stderr would keep every frame, and with --json
 * the caller is a program. stdout is never touched, so it stays the command's output alone.
 */
export function progressLine(io: CliIo, json: boolean, clock: Clock, label: string): Progress {
  if (!io.errIsTTY || json) return QUIET;
  let last: number | undefined;
  let pending: string | undefined;
  let open = false;
  const draw = (text: string) => {
    io.err(`${CLEAR_LINE}${label}: ${text}`);
    open = true;
    pending = undefined;
  };
  return {
    update(text) {
      const now = clock.now().getTime();
      if (last !== undefined && now - last < PROGRESS_INTERVAL_MS) {
        pending = text;
        return;
      }
      last = now;
      draw(text);
    },
    done() {
      if (pending !== undefined) draw(pending);
      if (open) io.err('\n');
      open = false;
    },
  };
}

export function progressFor(env: CliCommandEnv, label: string): Progress {
  return progressLine(env.io, Boolean(env.globals().json), env.deps.clock ?? systemClock, label);
}

/** "scanning accounts: 37/200 done, 1 failed", fed by ScanOptions.onAccount. */
export function accountProgress(env: CliCommandEnv, total: number) {
  const line = progressFor(env, 'scanning accounts');
  let finished = 0;
  let failed = 0;
  const show = () => line.update(`${finished}/${total} done, ${failed} failed`);
  show();
  return {
    onAccount(a: { ok: boolean }) {
      finished++;
      if (!a.ok) failed++;
      show();
    },
    done: () => line.done(),
  };
}

/** "rows: 120/500 done (3 failed, 377 left)", fed by BulkOptions.onRow; invalid rows count as failed. */
export function rowProgress(env: CliCommandEnv, total: number, invalid: number) {
  const line = progressFor(env, 'rows');
  let ok = 0;
  let failed = invalid;
  const show = () => line.update(`${ok}/${total} done (${failed} failed, ${total - ok - failed} left)`);
  show();
  return {
    onRow(r: { status: string }) {
      if (r.status === 'failed') failed++;
      else ok++;
      show();
    },
    done: () => line.done(),
  };
}
