import { ValidationError } from '../errors.js';

/** Injected everywhere "now" matters, so tests can move time (moto's credential report is pinned to 2015). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move forward. */
export function fixedClock(start: Date): Clock & { advance(ms: number): void; set(d: Date): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    set(d: Date) {
      t = d.getTime();
    },
  };
}

export const DAY_MS = 86_400_000;

const WHEN_FIX =
  'give an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or a duration back from now (90d, 12h, 30m, 2w)';
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `90d` → now − 90 days; `2026-01-31` → that UTC midnight; an ISO date-time as given. */
export function parseWhen(option: string, value: string, now: Date): Date {
  const v = value.trim();
  const ago = /^(\d{1,6})([mhdw])$/.exec(v);
  if (ago) return new Date(now.getTime() - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]);
  const iso = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(v);
  const t = iso ? Date.parse(iso[4] ? v : `${v}T00:00:00Z`) : Number.NaN;
  // Date.parse rolls 2026-02-30 over into March; a day that does not exist is a typo, not a date.
  const day = iso && new Date(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3])));
  const real = day && day.getUTCMonth() === Number(iso[2]) - 1 && day.getUTCDate() === Number(iso[3]);
  if (Number.isNaN(t) || !real)
    throw new ValidationError(option, `"${value}" is neither a date nor a duration`, WHEN_FIX);
  return new Date(t);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
