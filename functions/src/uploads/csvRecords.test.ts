import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvRecordReader, UnreadableCsvError, type CsvRecord } from './csvRecords.ts';

/** Every record of `input`, fed in chunks of `chunkSize` bytes. */
async function records(input: Buffer | string, chunkSize = 1 << 16): Promise<CsvRecord[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const reader = Readable.from(chunks).pipe(new CsvRecordReader({ maxRecordBytes: 200 }));
  const out: CsvRecord[] = [];
  for await (const record of reader) out.push(record as CsvRecord);
  return out;
}

/** A cell as a spreadsheet writes it: quoted when it holds a separator, quote or line break. */
const writeCell = (cell: string) =>
  /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;

const cellsOf = (all: CsvRecord[]) => all.map((r) => r.cells ?? `error: ${r.error}`);

describe('CsvRecordReader', () => {
  it.each([
    [
      'LF',
      'a,b\n1,2\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'CRLF',
      'a,b\r\n1,2\r\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'CR alone',
      'a,b\r1,2\r',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'no final line break',
      'a,b\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'a UTF-8 BOM',
      '\ufeffa,b\n1,2\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'quoted newlines and doubled quotes',
      'a,b\n"x\r\ny","say ""hi"""\n',
      [
        ['a', 'b'],
        ['x\r\ny', 'say "hi"'],
      ],
    ],
    [
      '; as the header separator',
      'a;b;c\n1;2,5;3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2,5', '3'],
      ],
    ],
    [
      'a tab as the separator',
      'a\tb\n1\t2\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    ['trailing empty lines', 'a,b\n1,2\n\n\r\n', [['a', 'b'], ['1', '2'], [''], ['']]],
    [
      'empty cells',
      'a,b,c\n,,\n',
      [
        ['a', 'b', 'c'],
        ['', '', ''],
      ],
    ],
    [
      'a formula, quoted as spreadsheets write it',
      'a,b\n"=HYPERLINK(""http://x"",""y"")",2\n',
      [
        ['a', 'b'],
        ['=HYPERLINK("http://x","y")', '2'],
      ],
    ],
  ])('reads %s', async (_, input, expected) => {
    expect(cellsOf(await records(input))).toEqual(expected);
    expect(cellsOf(await records(input, 1))).toEqual(expected);
  });

  it('makes a row with an unquoted quote an error of its own and reads every other row', async () => {
    const input = [
      'eventType,payload.a,userId',
      'x,=HYPERLINK("http://x","y"),u1',
      'y,ok,u2',
      '"z"bad,1,u3',
      'w,2,u4',
      'q,"never closed,5',
      'r,6,u6',
      '',
    ].join('\n');
    for (const chunkSize of [1, 7, 1 << 16]) {
      const all = await records(input, chunkSize);
      expect(all.map((r) => [r.row, r.cells ?? 'error'])).toEqual([
        [1, ['eventType', 'payload.a', 'userId']],
        [2, 'error'],
        [3, ['y', 'ok', 'u2']],
        [4, 'error'],
        [5, ['w', '2', 'u4']],
        [6, 'error'],
        [7, ['r', '6', 'u6']],
      ]);
      expect(all[1]?.error).toMatch(/quote inside unquoted column 2/);
      expect(all[3]?.error).toMatch(/text after the closing quote of column 1/);
      expect(all[5]?.error).toMatch(/never closed/);
    }
  });

  it('costs only its own row when a quote opened on it closes on a later row', async () => {
    const all = await records('a,b\n"open,1\nx,"=1"\ny,2\n', 5);
    expect(all.map((r) => r.cells ?? r.error)).toEqual([
      ['a', 'b'],
      expect.stringMatching(/not closed on its line/),
      ['x', '=1'],
      ['y', '2'],
    ]);
  });

  it('ends a quote that runs past the record limit and reads on from the next line', async () => {
    const input = `a,b\n"open,1\n${'x,y\n'.repeat(80)}`;
    const all = await records(input, 13);
    expect(all[1]).toMatchObject({ row: 2, error: expect.stringMatching(/longer than 200 bytes/) });
    expect(all.slice(2).map((r) => r.cells)).toEqual(Array.from({ length: 80 }, () => ['x', 'y']));
  });

  it('makes a row that is not UTF-8 an error naming the byte, and reads the rest', async () => {
    const input = Buffer.concat([
      Buffer.from('a,b\ncaf'),
      Buffer.from([0xe9]),
      Buffer.from(',1\nok,2\n'),
    ]);
    const all = await records(input, 3);
    expect(all.map((r) => r.cells ?? r.error)).toEqual([
      ['a', 'b'],
      'is not valid UTF-8 (byte 4 of the row); save the file as CSV UTF-8',
      ['ok', '2'],
    ]);
  });

  it.each([
    [
      'UTF-16',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]),
      /UTF-16/,
    ],
    ['binary', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x0a]), /not text/],
    ['a Latin-1 header', Buffer.from('café,b\n1,2\n', 'latin1'), /header is not UTF-8/],
    ['no line end within the limit', Buffer.from('a'.repeat(500)), /no header line/],
  ])('refuses a file that is %s whole', async (_, input, message) => {
    const error = await records(input, 64).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(UnreadableCsvError);
    expect((error as Error).message).toMatch(message);
  });

  const cell = fc.string({
    unit: fc.constantFrom('a', 'é', '😀', ',', '"', '\n', '\r\n', ' ', ';'),
    maxLength: 8,
  });

  it('reads any well-formed file exactly as csv-parse does, in chunks of any size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((width) =>
          fc.tuple(
            fc.array(fc.array(cell, { minLength: width, maxLength: width }), {
              minLength: 1,
              maxLength: 6,
            }),
            fc.constantFrom('\n', '\r\n'),
            fc.integer({ min: 1, max: 40 }),
          ),
        ),
        async ([rows, lineEnd, chunkSize]) => {
          // A one-column row of one empty cell is an empty line: both read it as [''].
          const header = rows[0]!.map((_, i) => `c${i}`);
          const text =
            [header, ...rows].map((row) => row.map(writeCell).join(',')).join(lineEnd) + lineEnd;
          const ours = (await records(text, chunkSize)).map((r) => r.cells);
          const theirs = parse(text, { relax_column_count: true });
          expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });
});
