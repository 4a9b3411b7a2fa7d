/**
 * One CSV cell: quoted when it holds a quote, comma or line break (RFC 4180), and a leading = + - @ tab or
 * CR defused with ' so a spreadsheet never runs a cell as a formula (CSV injection). Every CSV the bot and
 * the CLI write for people (the audit export, the review report, the findings report) goes through it.
 */
export function csvCell(value: string): string {
  return quoteCsv(defuseFormula(value));
}

/** A leading = + - @ tab or CR prefixed with ', so a spreadsheet shows the cell instead of running it. */
export function defuseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function quoteCsv(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
