/**
 * Text that a spreadsheet would run as a formula when it opens a file: a cell starting
 * with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP, "CSV injection").
 */
const formulaStart = /^[=+\-@\t\r]/;

/**
 * Text as a spreadsheet must show it: a formula-looking value gets a leading `'`, which
 * spreadsheets read as "this cell is text". Only for what is shown or exported; what is
 * stored stays exactly as it was sent.
 */
export function neutraliseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}

/** One CSV line for a spreadsheet: every cell neutralised, quoted where it must be. */
export function spreadsheetCsvLine(cells: readonly unknown[]): string {
  return cells
    .map((value) => {
      const text = neutraliseFormula(cellText(value));
      return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',');
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return (
    JSON.stringify(value, (_, inner: unknown) =>
      typeof inner === 'bigint' ? inner.toString() : inner,
    ) ?? ''
  );
}
