import fc from 'fast-check';

/** A CSV file as spreadsheets and hand edits produce it, and what an upload must make of it. */
export type CsvUploadCase = {
  bytes: Buffer;
  /** Rows that are events: each must be taken. */
  goodRows: number;
  /** Rows that cannot be, by their spreadsheet row number: each must be reported. */
  badRows: { row: number; kind: string }[];
};

/** `good`, `empty`, or what is wrong with the row. */
type Row = { kind: string; bytes: (separator: string) => Buffer };

const quoted = (cell: string) => `"${cell.replaceAll('"', '""')}"`;

/** Cells that are fine once quoted as spreadsheets quote them. */
const safeCell = fc.oneof(
  fc.constantFrom(
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    '+SUM(1,1)',
    '@SUM(A1)',
    'two\r\nlines',
    'say "hi"',
    'a;b,c',
    'Köln 東京 😀',
  ),
  fc.string({ maxLength: 12 }),
);

const goodRow = fc.tuple(fc.uuid(), safeCell).map(([user, cell]): Row => ({
  kind: 'good',
  bytes: (separator) => Buffer.from(['page.viewed', user, quoted(cell)].join(separator)),
}));

const badRow = fc.constantFrom<Row>(
  {
    kind: 'quote in an unquoted field',
    bytes: (separator) =>
      Buffer.from(['page.viewed', 'u-1', '=HYPERLINK("http://x","y")'].join(separator)),
  },
  {
    kind: 'text after a closing quote',
    bytes: (separator) => Buffer.from(['"page.viewed"x', 'u-2', '1'].join(separator)),
  },
  {
    kind: 'not UTF-8',
    bytes: (separator) =>
      Buffer.concat([
        Buffer.from(['page.viewed', 'u-3', 'caf'].join(separator)),
        Buffer.from([0xe9]),
      ]),
  },
  {
    kind: 'invalid event',
    bytes: (separator) => Buffer.from(['Not An Event Type', 'u-4', 'x'].join(separator)),
  },
  {
    kind: 'wrong column count',
    bytes: (separator) => Buffer.from(['page.viewed', 'u-5'].join(separator)),
  },
);

const emptyRow = fc.constantFrom<Row>(
  { kind: 'empty', bytes: () => Buffer.alloc(0) },
  { kind: 'empty', bytes: (separator) => Buffer.from(separator.repeat(2)) },
);

/**
 * Files of good, bad and empty rows in the conventions spreadsheet programs export:
 * a BOM or none, CRLF or LF, `,` or `;`, and sometimes a last row whose quote never closes.
 */
export const csvUploadCase: fc.Arbitrary<CsvUploadCase> = fc
  .record({
    bom: fc.boolean(),
    lineEnd: fc.constantFrom('\n', '\r\n'),
    separator: fc.constantFrom(',', ';'),
    rows: fc.array(
      fc.oneof(
        { arbitrary: goodRow, weight: 5 },
        { arbitrary: badRow, weight: 2 },
        {
          arbitrary: emptyRow,
          weight: 1,
        },
      ),
      { minLength: 1, maxLength: 25 },
    ),
    unclosedLast: fc.boolean(),
  })
  .map(({ bom, lineEnd, separator, rows, unclosedLast }) => {
    const all: Row[] = unclosedLast
      ? [
          ...rows,
          {
            kind: 'quote never closed',
            bytes: (s) => Buffer.from(['page.viewed', 'u-6', '"open'].join(s)),
          },
        ]
      : rows;
    const header = Buffer.from(['eventType', 'userId', 'payload.cell'].join(separator));
    const lines = [header, ...all.map((row) => row.bytes(separator))];
    const parts: Buffer[] = bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
    for (const line of lines) parts.push(line, Buffer.from(lineEnd));
    return {
      bytes: Buffer.concat(parts),
      goodRows: all.filter((row) => row.kind === 'good').length,
      badRows: all.flatMap((row, index) =>
        row.kind === 'good' || row.kind === 'empty' ? [] : [{ row: index + 2, kind: row.kind }],
      ),
    };
  });
