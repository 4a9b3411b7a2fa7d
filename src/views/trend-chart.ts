import { createRequire } from 'node:module';
import { renderAsync } from '@resvg/resvg-js';
import { logger, None, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ALT_TEXT_MAX, clip } from './limits.js';

/**
 * The findings trend (issue 15), pure: points in, a PNG and its text twins out. The chart goes vega-lite spec
 * → vega scenegraph (renderer 'none': no canvas, no browser) → SVG → resvg → PNG. Text is drawn with the
 * DejaVu TTFs shipped by the `dejavu-fonts-ttf` package, never system fonts: the production image has none,
 * and resvg would silently drop every label.
 *
 * Lines, not stacked bars: the question a reviewer asks is "is HIGH going down?", and a stack shows only its
 * bottom layer against a flat baseline; LOW, usually the largest, would dwarf and hide HIGH's movement.
 */

export interface TrendPoint {
  runId: string;
  at: string; // ISO time of the scan run
  counts: { HIGH: number; MEDIUM: number; LOW: number };
  /** Some account in scope could not be scanned in this run: its counts are a lower bound. */
  partial?: boolean;
}

export interface TrendChart {
  png: Buffer;
  width: number;
  height: number;
  /** plain-text summary for alt_text (≤ 2,000 chars) */
  alt: string;
}

export const TREND_RUNS = 12;
/** The chart's size in CSS pixels; the PNG is SCALE times larger, sharp on high-density screens. */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;
export const CHART_SCALE = 2;
export const SEVERITY_COLOURS = { HIGH: '#d62728', MEDIUM: '#ff7f0e', LOW: '#4c78a8' } as const;
export const CHART_BACKGROUND = '#ffffff';

const SEVERITIES = ['HIGH', 'MEDIUM', 'LOW'] as const;
type Sev = (typeof SEVERITIES)[number];
const FONT_FAMILY = 'DejaVu Sans';
// createRequire resolves from this file, so the same lookup works from src/ under tsx and from dist/.
const require = createRequire(import.meta.url);
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) =>
  require.resolve(`dejavu-fonts-ttf/ttf/${f}`),
);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SPARKS = '▁▂▃▄▅▆▇█';
const SMALL_Y_MAX = 8;
const PARTIAL_NOTE = 'some account could not be scanned, so its counts are a lower bound';

/** Oldest first; at most the last TREND_RUNS points are drawn. The PNG is CHART_SCALE × the chart's size. */
export async function trendChartPng(
  points: readonly TrendPoint[],
  opts: { title?: string } = {},
): Promise<TrendChart> {
  const shown = points.slice(-TREND_RUNS);
  const title = opts.title ?? defaultTitle(shown.length);
  const spec = shown.length === 0 ? emptySpec(title) : trendSpec(shown, title);
  // Logging off: vega's default logger writes to the console, and src/ never does.
  const { spec: vgSpec } = compile(spec, { logger: logger(None) });
  const view = new View(parse(vgSpec), { renderer: 'none', logLevel: None });
  const svg = await view.toSVG();
  view.finalize();
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: CHART_SCALE },
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    logLevel: 'off',
  });
  return { png: image.asPng(), width: image.width, height: image.height, alt: altText(shown, title) };
}

/**
 * The same trend as Slack mrkdwn (App Home, or a fallback where the PNG cannot go): one line per severity with
 * a sparkline over the runs and "now N (was M)". Nothing in it is user-supplied, so nothing is escaped.
 */
export function trendText(points: readonly TrendPoint[]): string {
  const shown = points.slice(-TREND_RUNS);
  const first = shown[0];
  const last = shown.at(-1);
  if (!first || !last) return 'No scans recorded yet.';
  const labels = runLabels(shown);
  const span = shown.length === 1 ? labels[0] : `${labels[0]} – ${labels.at(-1)}`;
  const lines = [`*Findings by severity, ${runsPhrase(shown.length)}* (${span})`];
  for (const sev of SEVERITIES) {
    const series = shown.map((p) => p.counts[sev]);
    const was = shown.length > 1 ? ` (was ${series.at(-2)})` : '';
    lines.push(`*${sev}* ${sparkline(series)}  now ${last.counts[sev]}${was}`);
  }
  const partial = shown.flatMap((p, i) => (p.partial ? [labels[i]] : []));
  if (partial.length > 0) lines.push(`_Partial runs (${PARTIAL_NOTE}): ${partial.join(', ')}._`);
  return lines.join('\n');
}

/**
 * Heights are proportional to the count from zero, per severity, so a flat line of 5s reads as "steady",
 * not "empty"; a non-zero count never gets the lowest block, which stays for zero.
 */
function sparkline(series: readonly number[]): string {
  const max = Math.max(...series);
  return series
    .map((v) => {
      if (v <= 0 || max <= 0) return SPARKS[0];
      return SPARKS[Math.max(1, Math.round((v / max) * (SPARKS.length - 1)))];
    })
    .join('');
}

function runsPhrase(n: number): string {
  return n === 1 ? 'last run' : `last ${n} runs`;
}

function defaultTitle(n: number): string {
  return n === 0
    ? 'Inactive-user findings by severity'
    : `Inactive-user findings by severity, ${runsPhrase(n)}`;
}

/**
 * "Dec 3" in UTC, so the labels do not move with the host's time zone; two runs on the same day both get
 * their time ("Dec 3 09:00"), or the axis would show the same label twice.
 */
function runLabels(points: readonly TrendPoint[]): string[] {
  const dates = points.map((p) => new Date(p.at));
  const days = dates.map((d) =>
    Number.isNaN(d.getTime()) ? '' : `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`,
  );
  return dates.map((d, i) => {
    const day = days[i] ?? '';
    if (day === '') return points[i]?.at ?? '';
    if (days.indexOf(day) === days.lastIndexOf(day)) return day;
    const hh = String(d.getUTCHours()).padStart(2, '0');
    const mm = String(d.getUTCMinutes()).padStart(2, '0');
    return `${day} ${hh}:${mm}`;
  });
}

function trendSpec(points: readonly TrendPoint[], title: string): TopLevelSpec {
  const labels = runLabels(points);
  // LOW first, so HIGH is drawn last and stays visible where the lines cross.
  const drawOrder = [...SEVERITIES].reverse();
  const rows = drawOrder.flatMap((severity) =>
    points.map((p, i) => ({ i, severity, count: p.counts[severity], partial: p.partial === true })),
  );
  const yMax = Math.max(1, ...rows.map((r) => r.count));
  const colour = {
    field: 'severity',
    type: 'nominal',
    scale: { domain: [...SEVERITIES], range: SEVERITIES.map((s) => SEVERITY_COLOURS[s]) },
  } as const;
  return {
    ...frame(),
    title: {
      text: title,
      anchor: 'start',
      ...(points.some((p) => p.partial) ? { subtitle: `Hollow points: ${PARTIAL_NOTE}` } : {}),
    },
    data: { values: rows },
    encoding: {
      x: {
        field: 'i',
        type: 'ordinal',
        title: 'Scan run (UTC)',
        // The index keeps runs distinct and in order; the label is looked up, as labels need not be unique.
        axis: { labelExpr: `${JSON.stringify(labels)}[datum.value]`, labelAngle: 0, labelOverlap: true },
      },
      y: {
        field: 'count',
        type: 'quantitative',
        title: 'Findings',
        // Counts are whole: with few findings vega would tick at halves (shown rounded, so "0 1 1"), and with
        // none at all it would get a [0, 0] domain; so small scales get one tick per integer.
        ...(yMax <= SMALL_Y_MAX
          ? { scale: { domain: [0, yMax] }, axis: { values: Array.from({ length: yMax + 1 }, (_, v) => v) } }
          : { scale: { zero: true }, axis: { tickMinStep: 1, format: 'd' } }),
      },
      color: { ...colour, legend: { title: null, orient: 'top', direction: 'horizontal' } },
    },
    layer: [
      { mark: { type: 'line', strokeWidth: 2.5 } },
      {
        mark: { type: 'point', size: 70, strokeWidth: 2, opacity: 1 },
        encoding: {
          fill: { condition: { test: 'datum.partial', value: CHART_BACKGROUND }, ...colour, legend: null },
        },
      },
    ],
  };
}

function emptySpec(title: string): TopLevelSpec {
  return {
    ...frame(),
    title: { text: title, anchor: 'start' },
    data: { values: [{}] },
    mark: { type: 'text', text: 'No scans recorded yet', fontSize: 22, color: '#555555' },
  };
}

function frame() {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    // 'fit' with padding makes the whole image exactly WIDTH × HEIGHT, whatever the legend and labels take.
    autosize: { type: 'fit', contains: 'padding' },
    padding: 16,
    background: CHART_BACKGROUND,
    config: {
      font: FONT_FAMILY,
      view: { stroke: null },
      title: { fontSize: 18, subtitleFontSize: 12, subtitleColor: '#555555', offset: 12 },
      axis: { labelFontSize: 12, titleFontSize: 12, titleColor: '#555555' },
      legend: { labelFontSize: 13, symbolSize: 120, symbolStrokeWidth: 3 },
    },
  } as const;
}

function altText(points: readonly TrendPoint[], title: string): string {
  const last = points.at(-1);
  if (!last) return clip(`${title}: no scans recorded yet.`, ALT_TEXT_MAX);
  const labels = runLabels(points);
  const counts = (p: TrendPoint) => SEVERITIES.map((s: Sev) => `${s} ${p.counts[s]}`).join(', ');
  const prev = points.at(-2);
  const parts = [
    `${title}.`,
    `Latest run (${labels.at(-1)}${last.partial ? ', partial' : ''}): ${counts(last)}.`,
    ...(prev ? [`Previous run (${labels.at(-2)}): ${counts(prev)}.`] : []),
    `Runs, oldest first: ${points.map((p, i) => `${labels[i]}${p.partial ? '*' : ''} ${SEVERITIES.map((s) => p.counts[s]).join('/')}`).join('; ')} (HIGH/MEDIUM/LOW).`,
  ];
  if (points.some((p) => p.partial)) parts.push(`* partial run: ${PARTIAL_NOTE}.`);
  return clip(parts.join(' '), ALT_TEXT_MAX);
}
