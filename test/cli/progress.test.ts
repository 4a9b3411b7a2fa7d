import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { PROGRESS_INTERVAL_MS, progressLine } from '../../src/cli/progress.js';
import { fixedClock } from '../../src/core/clock.js';

function io(errIsTTY: boolean) {
  const seen = { out: '', err: '' };
  const streams: CliIo = {
    out: (t) => {
      seen.out += t;
    },
    err: (t) => {
      seen.err += t;
    },
    prompt: async () => '',
    isTTY: false,
    errIsTTY,
  };
  return { streams, seen };
}

describe('progressLine', () => {
  it('rewrites one stderr line at most every 100 ms, draws the last state on done() and ends the line', () => {
    const { streams, seen } = io(true);
    const clock = fixedClock(new Date('2026-06-01T00:00:00Z'));
    const p = progressLine(streams, false, clock, 'rows');
    p.update('0/3 done');
    p.update('1/3 done'); // same instant: held back
    clock.advance(PROGRESS_INTERVAL_MS - 1);
    p.update('2/3 done'); // still too soon
    expect(seen.err).toBe('\r\x1b[2Krows: 0/3 done');
    clock.advance(1);
    p.update('3/3 done');
    expect(seen.err).toBe('\r\x1b[2Krows: 0/3 done\r\x1b[2Krows: 3/3 done');
    p.done();
    p.done();
    expect(seen.err).toBe('\r\x1b[2Krows: 0/3 done\r\x1b[2Krows: 3/3 done\n');
    expect(seen.out).toBe('');
  });

  it('draws a held-back last state on done()', () => {
    const { streams, seen } = io(true);
    const p = progressLine(streams, false, fixedClock(new Date(0)), 'scanning accounts');
    p.update('0/2 done, 0 failed');
    p.update('2/2 done, 0 failed');
    p.done();
    expect(seen.err).toBe(
      '\r\x1b[2Kscanning accounts: 0/2 done, 0 failed\r\x1b[2Kscanning accounts: 2/2 done, 0 failed\n',
    );
  });

  it('writes nothing anywhere when stderr is not a terminal, or with --json', () => {
    for (const [tty, json] of [
      [false, false],
      [true, true],
      [false, true],
    ] as const) {
      const { streams, seen } = io(tty);
      const p = progressLine(streams, json, fixedClock(new Date(0)), 'rows');
      p.update('1/2 done');
      p.done();
      expect(seen).toEqual({ out: '', err: '' });
    }
  });
});
