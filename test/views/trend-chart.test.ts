import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ALT_TEXT_MAX } from '../../src/views/limits.js';
import {
  CHART_BACKGROUND,
  CHART_HEIGHT,
  CHART_SCALE,
  CHART_WIDTH,
  SEVERITY_COLOURS,
  TREND_RUNS,
  type TrendPoint,
  trendChartPng,
  trendText,
} from '../../src/views/trend-chart.js';

/**
 * The chart is checked as an image, decoded here with nothing but node:zlib, so a PNG that only looks right
 * to the encoder that wrote it still fails: the size in IHDR, the severity colours in the pixels, and text
 * in the title band (which is blank when resvg finds no font, the failure the shipped TTFs exist to prevent).
 */

interface Image {
  width: number;
  height: number;
  rgb(x: number, y: number): [number, number, number];
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function decodePng(png: Buffer): Image {
  expect(png.subarray(0, 8)).toEqual(SIGNATURE);
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect({ bitDepth: data[8], interlace: data[12] }).toEqual({ bitDepth: 8, interlace: 0 });
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels, `colour type ${data[9]}`).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(data);
    if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  expect(raw.length).toBe(height * (stride + 1));
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] ?? 0;
      const a = i >= channels ? (px[y * stride + i - channels] ?? 0) : 0;
      const b = y > 0 ? (px[(y - 1) * stride + i] ?? 0) : 0;
      const c = y > 0 && i >= channels ? (px[(y - 1) * stride + i - channels] ?? 0) : 0;
      let v: number;
      if (filter === 0) v = x;
      else if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new Error(`PNG filter ${filter}`);
      px[y * stride + i] = v & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => {
      const o = y * stride + x * channels;
      return [px[o] ?? 0, px[o + 1] ?? 0, px[o + 2] ?? 0];
    },
  };
}

function hex(colour: string): [number, number, number] {
  const n = Number.parseInt(colour.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** Pixels within `tolerance` of `colour` in the band of rows [top, bottom) (fractions of the height). */
function countNear(img: Image, colour: string, band: [number, number] = [0, 1], tolerance = 6): number {
  const want = hex(colour);
  let n = 0;
  for (let y = Math.floor(img.height * band[0]); y < img.height * band[1]; y++) {
    for (let x = 0; x < img.width; x++) {
      const got = img.rgb(x, y);
      if (got.every((v, i) => Math.abs(v - (want[i] ?? 0)) <= tolerance)) n++;
    }
  }
  return n;
}

/** Near-black pixels: text (the title is black, and nothing else in its band is dark). */
function darkPixels(img: Image, band: [number, number]): number {
  let n = 0;
  for (let y = Math.floor(img.height * band[0]); y < img.height * band[1]; y++) {
    for (let x = 0; x < img.width; x++) if (img.rgb(x, y).every((v) => v < 80)) n++;
  }
  return n;
}

const TITLE_BAND: [number, number] = [0, 0.1];

function point(day: number, HIGH: number, MEDIUM: number, LOW: number, partial = false): TrendPoint {
  const at = new Date(Date.UTC(2026, 11, day, 6, 30)).toISOString();
  return { runId: `run-${day}`, at, counts: { HIGH, MEDIUM, LOW }, ...(partial ? { partial } : {}) };
}

const twelve = Array.from({ length: 12 }, (_, i) => point(i + 1, 3 + (i % 4), 10 - (i % 3), 20 - i));

describe('trendChartPng', () => {
  it('is a real PNG of the stated size, with every severity drawn in its colour and the title in text', async () => {
    const chart = await trendChartPng(twelve);
    const img = decodePng(chart.png);
    expect({ width: img.width, height: img.height }).toEqual({ width: chart.width, height: chart.height });
    expect(chart).toMatchObject({ width: CHART_WIDTH * CHART_SCALE, height: CHART_HEIGHT * CHART_SCALE });
    expect(countNear(img, CHART_BACKGROUND)).toBeGreaterThan(img.width * img.height * 0.5);
    for (const colour of Object.values(SEVERITY_COLOURS))
      expect(countNear(img, colour)).toBeGreaterThan(2000);
    expect(darkPixels(img, TITLE_BAND)).toBeGreaterThan(1500);
  });

  it('draws the title it is given: another title, other text pixels', async () => {
    const [a, b] = await Promise.all([
      trendChartPng(twelve.slice(0, 3)),
      trendChartPng(twelve.slice(0, 3), { title: 'Findings, last 3 runs' }),
    ]);
    const [ia, ib] = [decodePng(a.png), decodePng(b.png)];
    expect(darkPixels(ib, TITLE_BAND)).toBeGreaterThan(500);
    expect(darkPixels(ib, TITLE_BAND)).toBeLessThan(darkPixels(ia, TITLE_BAND) * 0.8);
    expect(b.alt).toMatch(/^Findings, last 3 runs\. /);
  });

  it('gives the same bytes for the same input', async () => {
    const a = await trendChartPng(twelve);
    const b = await trendChartPng(twelve.map((p) => ({ ...p, counts: { ...p.counts } })));
    expect(b.png.equals(a.png)).toBe(true);
    expect(b.alt).toBe(a.alt);
  });

  it('is driven by the data: other counts, another image', async () => {
    const a = await trendChartPng(twelve);
    const changed = twelve.map((p, i) => (i === 11 ? point(12, 9, 1, 1) : p));
    const b = await trendChartPng(changed);
    expect(b.png.equals(a.png)).toBe(false);
    expect(a.alt).toContain('Latest run (Dec 12): HIGH 6, MEDIUM 8, LOW 9.');
    expect(b.alt).toContain('Latest run (Dec 12): HIGH 9, MEDIUM 1, LOW 1.');
    expect(b.alt).toContain('Previous run (Dec 11): HIGH 5, MEDIUM 9, LOW 10.');
  });

  it(`draws only the last ${TREND_RUNS} of more runs`, async () => {
    const fourteen = Array.from({ length: 14 }, (_, i) => point(i + 1, i, 2 * i, 3));
    const chart = await trendChartPng(fourteen);
    expect(chart.alt).toMatch(/^Inactive-user findings by severity, last 12 runs\. /);
    expect(chart.alt).toContain('Runs, oldest first: Dec 3 2/4/3; Dec 4 3/6/3;');
    expect(chart.alt).not.toMatch(/Dec 1 |Dec 2 /);
    const lastTwelve = await trendChartPng(fourteen.slice(-TREND_RUNS));
    expect(chart.png.equals(lastTwelve.png)).toBe(true);
  });

  it('marks partial runs: hollow points, a caption, and the alt text says which', async () => {
    const partial = twelve.map((p, i) => (i === 5 ? { ...p, partial: true } : p));
    const [plain, marked] = await Promise.all([trendChartPng(twelve), trendChartPng(partial)]);
    expect(marked.png.equals(plain.png)).toBe(false);
    // Hollow: a partial run's points are filled with the background, so marking every run partial leaves
    // fewer pixels in each severity's colour than marking one (both charts carry the same caption).
    const allPartial = await trendChartPng(twelve.map((p) => ({ ...p, partial: true })));
    const [one, all] = [decodePng(marked.png), decodePng(allPartial.png)];
    for (const colour of Object.values(SEVERITY_COLOURS)) {
      expect(countNear(all, colour)).toBeLessThan(countNear(one, colour) - 500);
    }
    expect(marked.alt).toContain('Dec 6* ');
    expect(marked.alt).toContain('* partial run: some account could not be scanned');
    expect(plain.alt).not.toContain('partial');
    const latestPartial = await trendChartPng([
      twelve[0] as TrendPoint,
      { ...(twelve[1] as TrendPoint), partial: true },
    ]);
    expect(latestPartial.alt).toContain('Latest run (Dec 2, partial): ');
  });

  it('still makes a chart of one run, and of all zeros', async () => {
    for (const points of [[point(3, 2, 0, 5)], [point(3, 0, 0, 0), point(4, 0, 0, 0)]]) {
      const chart = await trendChartPng(points);
      const img = decodePng(chart.png);
      expect([img.width, img.height]).toEqual([CHART_WIDTH * CHART_SCALE, CHART_HEIGHT * CHART_SCALE]);
      expect(countNear(img, SEVERITY_COLOURS.LOW)).toBeGreaterThan(100);
      expect(darkPixels(img, TITLE_BAND)).toBeGreaterThan(1000);
    }
    expect((await trendChartPng([point(3, 2, 0, 5)])).alt).toBe(
      'Inactive-user findings by severity, last run. Latest run (Dec 3): HIGH 2, MEDIUM 0, LOW 5. ' +
        'Runs, oldest first: Dec 3 2/0/5 (HIGH/MEDIUM/LOW).',
    );
  });

  it('says "no scans recorded yet" in a valid PNG when there is no run', async () => {
    const chart = await trendChartPng([]);
    const img = decodePng(chart.png);
    expect([img.width, img.height]).toEqual([CHART_WIDTH * CHART_SCALE, CHART_HEIGHT * CHART_SCALE]);
    expect(darkPixels(img, TITLE_BAND)).toBeGreaterThan(1000);
    // The message is mid-grey, centred: non-background pixels in the middle band, none of the severity colours.
    const middle: [number, number] = [0.4, 0.6];
    const rows = img.height * (middle[1] - middle[0]);
    expect(countNear(img, CHART_BACKGROUND, middle)).toBeLessThan(img.width * rows - 2000);
    for (const colour of Object.values(SEVERITY_COLOURS)) expect(countNear(img, colour)).toBe(0);
    expect(chart.alt).toBe('Inactive-user findings by severity: no scans recorded yet.');
  });

  it(`keeps the alt text within Slack's ${ALT_TEXT_MAX} characters`, async () => {
    const chart = await trendChartPng(twelve, { title: 'x'.repeat(3000) });
    expect(chart.alt.length).toBeLessThanOrEqual(ALT_TEXT_MAX);
    expect(chart.alt.endsWith('…')).toBe(true);
  });

  it('labels two runs of the same day with their times', async () => {
    const sameDay = [
      point(3, 1, 1, 1),
      { ...point(3, 2, 2, 2), at: '2026-12-03T18:05:00.000Z' },
      point(4, 3, 3, 3),
    ];
    const chart = await trendChartPng(sameDay);
    expect(chart.alt).toContain('Runs, oldest first: Dec 3 06:30 1/1/1; Dec 3 18:05 2/2/2; Dec 4 3/3/3');
  });
});

describe('trendText', () => {
  it('gives one sparkline per severity with now and was', () => {
    const points = [point(1, 0, 4, 7), point(2, 2, 4, 7), point(3, 5, 4, 7), point(4, 3, 0, 7, true)];
    expect(trendText(points)).toBe(
      [
        '*Findings by severity, last 4 runs* (Dec 1 – Dec 4)',
        '*HIGH* ▁▄█▅  now 3 (was 5)',
        '*MEDIUM* ███▁  now 0 (was 4)',
        '*LOW* ████  now 7 (was 7)',
        '_Partial runs (some account could not be scanned, so its counts are a lower bound): Dec 4._',
      ].join('\n'),
    );
  });

  it('handles all zeros, one run and no run', () => {
    expect(trendText([point(1, 0, 0, 0), point(2, 0, 0, 0)])).toBe(
      [
        '*Findings by severity, last 2 runs* (Dec 1 – Dec 2)',
        '*HIGH* ▁▁  now 0 (was 0)',
        '*MEDIUM* ▁▁  now 0 (was 0)',
        '*LOW* ▁▁  now 0 (was 0)',
      ].join('\n'),
    );
    expect(trendText([point(9, 1, 2, 3)])).toBe(
      [
        '*Findings by severity, last run* (Dec 9)',
        '*HIGH* █  now 1',
        '*MEDIUM* █  now 2',
        '*LOW* █  now 3',
      ].join('\n'),
    );
    expect(trendText([])).toBe('No scans recorded yet.');
  });

  it(`covers only the last ${TREND_RUNS} runs, like the chart`, () => {
    const fourteen = Array.from({ length: 14 }, (_, i) => point(i + 1, i, 1, 100 - i));
    const lines = trendText(fourteen).split('\n');
    expect(lines[0]).toBe('*Findings by severity, last 12 runs* (Dec 3 – Dec 14)');
    expect(lines[1]).toBe('*HIGH* ▂▃▃▄▄▅▅▆▆▇▇█  now 13 (was 12)');
    expect(lines[3]).toBe('*LOW* ████████▇▇▇▇  now 87 (was 88)');
  });
});
