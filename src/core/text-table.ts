import Table from 'cli-table3';
import { cleanText } from './text.js';

/**
 * Plain-text tables for the CLI's text output and the reports Slack shows in a code block: no vertical
 * lines and no colour codes (both would be noise in a code block or a piped log), a dashed header underline,
 * two spaces between columns. cli-table3 measures terminal width (é is 1 column, 日 is 2), so the columns
 * line up where `padEnd` would not.
 */

export type TextCell = string | number | boolean | null | undefined;

export interface TextTableOptions {
  /** Spaces before every line, so a table can sit under a heading. */
  indent?: number;
  /** Widest a cell may be; longer ones end in "…". 64 is IAM's longest user name, so names stay whole. */
  maxWidth?: number;
  /** The last column may be wider: nothing lines up after it (details, errors). */
  lastMaxWidth?: number;
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '-',
  'mid-mid': '  ',
  right: '',
  'right-mid': '',
  middle: '  ',
};

// East Asian wide and fullwidth ranges and the common emoji blocks: what a terminal draws two columns wide.
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u;
const segmenter = new Intl.Segmenter();

/** Cuts `text` to at most `max` terminal columns, ending in "…" when it had to cut. */
export function clipCell(text: string, max: number): string {
  const parts = [...segmenter.segment(text)].map(({ segment }) => ({
    segment,
    width: WIDE.test(segment) ? 2 : 1,
  }));
  if (parts.reduce((w, p) => w + p.width, 0) <= max) return text;
  let out = '';
  let width = 0;
  for (const p of parts) {
    if (width + p.width > max - 1) break;
    out += p.segment;
    width += p.width;
  }
  return `${out}…`;
}

function cell(value: TextCell, max: number): string {
  // A line break would split the row over two lines and an escape sequence (a tag value can hold one) would
  // drive the terminal; an empty cell reads as a shifted column.
  const text = cleanText(String(value ?? '')).trim();
  return text === '' ? '-' : clipCell(text, max);
}

/** The table as lines (no trailing newline, no trailing spaces). */
export function textTable(
  head: readonly string[],
  rows: readonly TextCell[][],
  opts: TextTableOptions = {},
): string[] {
  const max = opts.maxWidth ?? 64;
  const lastMax = opts.lastMaxWidth ?? max;
  const shape = (row: readonly TextCell[]) =>
    row.map((v, i) => cell(v, i === row.length - 1 ? lastMax : max));
  const table = new Table({
    head: shape(head),
    chars: BORDERLESS,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
  });
  table.push(...rows.map(shape));
  const pad = ' '.repeat(opts.indent ?? 0);
  return table
    .toString()
    .split('\n')
    .map((line) => `${pad}${line}`.trimEnd());
}
