import { describe, expect, it } from 'vitest';
import { cleanText } from '../../src/core/text.js';

const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
const MARKS = ['\u200E', '\u200F', '\u061C'];
const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i));
const C1 = Array.from({ length: 33 }, (_, i) => String.fromCharCode(0x7f + i));
/** The spec, written out independently of the implementation's table. */
const unsafe = (cp: number) =>
  cp <= 0x1f ||
  (cp >= 0x7f && cp <= 0x9f) ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2066 && cp <= 0x2069) ||
  cp === 0x200e ||
  cp === 0x200f ||
  cp === 0x061c;

describe('cleanText', () => {
  it('removes every bidi override, isolate and directional mark', () => {
    for (const c of [...BIDI, ...MARKS]) expect(cleanText(`a${c}b`)).toBe('ab');
    expect(cleanText('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
  });

  it('removes C0 and C1 controls; a single-line value turns tabs and line breaks into spaces', () => {
    for (const c of [...C0, ...C1].filter((c) => !'\t\n\r'.includes(c)))
      expect(cleanText(`a${c}b`)).toBe('ab');
    expect(cleanText('a\tb\nc\rd')).toBe('a b c d');
  });

  it('keeps line feeds and tabs in a multi-line value, and drops the CR of a CRLF', () => {
    expect(cleanText('one\r\ntwo\tthree\u0007\u202E', { multiline: true })).toBe('one\ntwo\tthree');
  });

  it('leaves ordinary text alone, accents, emoji and right-to-left scripts included', () => {
    for (const s of ['Zoë Ångström', 'deploy 🚀 prod', 'שלום עולם', 'مرحبا', 'a-b_c.d@e+f=g,h'])
      expect(cleanText(s)).toBe(s);
  });

  it('over every BMP code point: removes exactly the unsafe ones, keeps every other, and is idempotent', () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const c = String.fromCharCode(cp);
      const lineBreakOrTab = c === '\t' || c === '\n' || c === '\r';
      const wantSingle = lineBreakOrTab ? 'x y' : unsafe(cp) ? 'xy' : `x${c}y`;
      const wantMulti = c === '\t' || c === '\n' ? `x${c}y` : unsafe(cp) ? 'xy' : `x${c}y`;
      const single = cleanText(`x${c}y`);
      if (single !== wantSingle || cleanText(single) !== single) wrong.push(`single U+${cp.toString(16)}`);
      if (cleanText(`x${c}y`, { multiline: true }) !== wantMulti) wrong.push(`multi U+${cp.toString(16)}`);
    }
    expect(wrong).toEqual([]);
  });
});
