/**
 * Text hygiene for anything a person typed (modal fields, slash-command text) or another system named:
 * control characters and bidirectional overrides make a stored justification or an approval message read
 * differently from what it holds ("‮exe.txt" shows as "txt.exe"), or ring terminals and break layouts.
 * Pure, so the bot's readers and any other caller share one rule.
 */

/**
 * C0 (U+0000–U+001F) and DEL, C1 (U+0080–U+009F), the bidi embeddings and overrides (U+202A–U+202E), the
 * isolates (U+2066–U+2069) and the directional marks (U+200E, U+200F, U+061C). Ranges, not a regex: the
 * linter rightly distrusts control characters in regexes.
 */
const UNSAFE: readonly (readonly [number, number])[] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x061c, 0x061c],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
];

/** Whether `cp` is a control or bidi character cleanText removes (tab and line feed included). */
export function isUnsafeCodePoint(cp: number): boolean {
  return UNSAFE.some(([lo, hi]) => cp >= lo && cp <= hi);
}

export interface CleanTextOptions {
  /** Keep line feeds and tabs (a multi-line input); otherwise they become spaces. */
  multiline?: boolean;
}

/**
 * Removes control characters and bidi controls. In a single-line value tabs and line breaks become a
 * space (words stay apart); in a multi-line one `\n` and `\t` stay and a CR goes (`\r\n` → `\n`).
 */
export function cleanText(s: string, opts: CleanTextOptions = {}): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!isUnsafeCodePoint(cp)) out += ch;
    else if (ch === '\n' || ch === '\t') out += opts.multiline ? ch : ' ';
    else if (ch === '\r' && !opts.multiline) out += ' ';
  }
  return out;
}
