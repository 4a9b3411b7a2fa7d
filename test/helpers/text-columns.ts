import { expect } from 'vitest';

// Measured independently of cli-table3 (and of src/core/text-table.ts), so a width bug there shows up here.
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7A3\uFF00-\uFF60]/u;

/** Terminal columns of one code point: 2 for CJK, 0 for a combining mark, else 1. */
function width(ch: string): number {
  if (/\p{M}/u.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/** The terminal columns where each cell of a table line starts: after the indent, then after 2+ spaces. */
export function cellStarts(line: string): number[] {
  const starts: number[] = [];
  let col = 0;
  let spaces = 0;
  let first = true;
  for (const ch of line) {
    if (ch === ' ') spaces++;
    else {
      if (first || spaces >= 2) starts.push(col);
      first = false;
      spaces = 0;
    }
    col += width(ch);
  }
  return starts;
}

/**
 * The table whose header starts with the cells of `firstHeader` ("Account  Id": two spaces part cells), with
 * its underline and body lines (up to the first blank line or the end).
 */
export function tableLines(
  text: string,
  firstHeader: string,
): { header: string; rule: string; body: string[] } {
  const lines = text.split('\n');
  const cells = (l: string) => l.trim().split(/ {2,}/).join('|');
  const at = lines.findIndex(
    (l, i) => cells(l).startsWith(cells(firstHeader)) && /^ *-+( +-+)* *$/.test(lines[i + 1] ?? ''),
  );
  if (at < 0) throw new Error(`no table with header "${firstHeader}" in:\n${text}`);
  const end = lines.findIndex((l, i) => i > at + 1 && l.trim() === '');
  return {
    header: lines[at] as string,
    rule: lines[at + 1] as string,
    body: lines.slice(at + 2, end < 0 ? undefined : end),
  };
}

/** Every body row's cells start at the header's column offsets, and so does the underline. */
export function expectAligned(text: string, firstHeader: string, rows: number): void {
  const { header, rule, body } = tableLines(text, firstHeader);
  const want = cellStarts(header);
  expect(cellStarts(rule), rule).toEqual(want);
  expect(body).toHaveLength(rows);
  for (const row of body) {
    expect(cellStarts(row), `${header}\n${row}`).toEqual(want);
    expect(row).toBe(row.trimEnd());
  }
}
