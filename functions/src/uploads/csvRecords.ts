import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { firstInvalidUtf8Offset } from '../lib/utf8.ts';

/**
 * One record of a CSV file: its cells, or why it could not be read. `row` is the row a
 * spreadsheet shows it on: the header is row 1, and an empty line is a row too.
 */
export type CsvRecord =
  | { row: number; cells: string[]; error?: undefined }
  | { row: number; error: string; cells?: undefined };

/** The file cannot be read as CSV at all: not text, not UTF-8, or no header line. */
export class UnreadableCsvError extends Error {
  override readonly name = 'UnreadableCsvError';
}

const quote = 0x22;
const cr = 0x0d;
const lf = 0x0a;
/** Separators a header may use, in the order a tie is settled. */
const separators = [0x2c, 0x3b, 0x09] as const;

type Field = { start: number; end: number; quoted: boolean };

/**
 * Splits a CSV byte stream into records as RFC 4180 reads them (quoted fields with
 * `""` escapes and line breaks, CRLF, LF or CR line ends, a UTF-8 BOM), and recovers
 * from a malformed record instead of giving up on the file:
 *
 * - a quote inside an unquoted field, or text after a closing quote, makes that record
 *   an error, and reading goes on at the next line;
 * - a quoted field still open after `maxRecordBytes`, or at the end of the file, makes
 *   its record an error, and reading goes on at the line after the one it started on.
 *
 * So one bad row costs that row, never the rows after it. A record that is not UTF-8
 * is an error of its own. The separator is the header's: `,`, `;` or a tab, whichever
 * the header line holds most of outside quotes (`,` when none).
 */
export class CsvRecordReader extends Transform {
  readonly #maxRecordBytes: number;
  #separator: number | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #row = 0;
  #started = false;

  constructor(options: { maxRecordBytes: number }) {
    super({ readableObjectMode: true });
    this.#maxRecordBytes = options.maxRecordBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    try {
      this.#drain(false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#drain(true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Emits every complete record in the buffer; at the end of the file, the rest too. */
  #drain(atEnd: boolean): void {
    if (!this.#started && !this.#start(atEnd)) return;
    let offset = 0;
    while (offset < this.#buffer.length) {
      const scanned = scanRecord(this.#buffer, offset, this.#separator!, atEnd);
      if (scanned.kind === 'incomplete') {
        if (this.#buffer.length - offset > this.#maxRecordBytes) {
          this.#emitUnclosed(
            `is longer than ${this.#maxRecordBytes} bytes or has a quote that is never closed`,
          );
          offset = lineAfter(this.#buffer, offset);
          continue;
        }
        break;
      }
      if (scanned.kind === 'unclosed') {
        this.#emitUnclosed('has a quote that is never closed');
        offset = lineAfter(this.#buffer, offset);
        continue;
      }
      this.#row += 1;
      if (scanned.kind === 'malformed') this.push({ row: this.#row, error: scanned.reason });
      else this.push(this.#decode(offset, scanned.end, scanned.fields));
      offset = scanned.next;
    }
    this.#buffer = this.#buffer.subarray(offset);
    if (atEnd && this.#buffer.length > 0) throw new Error('unread bytes at the end of the file');
  }

  /** Reads the byte order mark and the header's separator, once the first line is here. */
  #start(atEnd: boolean): boolean {
    const buffer = this.#buffer;
    if (buffer[0] === 0xff && buffer[1] === 0xfe) throw unreadable('it is UTF-16 (little endian)');
    if (buffer[0] === 0xfe && buffer[1] === 0xff) throw unreadable('it is UTF-16 (big endian)');
    if (buffer.length < 3 && !atEnd) return false;
    if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf)
      this.#buffer = buffer.subarray(3);
    const headerEnd = firstLineEnd(this.#buffer);
    if (headerEnd === -1 && !atEnd) {
      if (this.#buffer.length > this.#maxRecordBytes)
        throw unreadable(`no header line within its first ${this.#maxRecordBytes} bytes`);
      return false;
    }
    const header = this.#buffer.subarray(0, headerEnd === -1 ? this.#buffer.length : headerEnd);
    if (header.includes(0)) throw unreadable('it is not text (it holds NUL bytes)');
    if (!isUtf8(header))
      throw unreadable('its header is not UTF-8; save the file as CSV UTF-8 and upload it again');
    this.#separator = headerSeparator(header);
    this.#started = true;
    return true;
  }

  #decode(start: number, end: number, fields: Field[]): CsvRecord {
    const bytes = this.#buffer.subarray(start, end);
    if (!isUtf8(bytes)) {
      return {
        row: this.#row,
        error: `is not valid UTF-8 (byte ${firstInvalidUtf8Offset(bytes) + 1} of the row); save the file as CSV UTF-8`,
      };
    }
    const cells = fields.map((field) => {
      const text = this.#buffer.toString('utf8', field.start, field.end);
      return field.quoted ? text.replaceAll('""', '"') : text;
    });
    return { row: this.#row, cells };
  }

  /** The lines an open quote ran over are read again, as rows of their own. */
  #emitUnclosed(reason: string): void {
    this.#row += 1;
    this.push({ row: this.#row, error: reason });
  }
}

function unreadable(reason: string): UnreadableCsvError {
  return new UnreadableCsvError(`The file cannot be read as CSV: ${reason}.`);
}

type Scanned =
  | { kind: 'record'; fields: Field[]; end: number; next: number }
  | { kind: 'malformed'; reason: string; next: number }
  | { kind: 'unclosed' }
  | { kind: 'incomplete' };

/**
 * One record from `offset`: its fields as byte ranges, where it ends, and where the next
 * begins. `incomplete` when the buffer ends before the record does (more bytes may come).
 */
function scanRecord(buffer: Buffer, offset: number, separator: number, atEnd: boolean): Scanned {
  const fields: Field[] = [];
  let position = offset;
  for (;;) {
    // At the start of a field.
    if (buffer[position] === quote) {
      const close = closingQuote(buffer, position + 1);
      if (close === -1) return atEnd ? { kind: 'unclosed' } : { kind: 'incomplete' };
      fields.push({ start: position + 1, end: close, quoted: true });
      position = close + 1;
      if (position >= buffer.length) {
        if (!atEnd) return { kind: 'incomplete' };
        return { kind: 'record', fields, end: position, next: position };
      }
      const after = buffer[position]!;
      if (after === separator) {
        position += 1;
        continue;
      }
      if (after === cr || after === lf) return ended(buffer, fields, position, atEnd);
      return malformed(
        buffer,
        offset,
        position,
        atEnd,
        `has text after the closing quote of column ${fields.length}; a field with a quote must be quoted whole, with each quote doubled`,
      );
    }
    let end = position;
    while (end < buffer.length) {
      const byte = buffer[end]!;
      if (byte === separator || byte === cr || byte === lf) break;
      if (byte === quote) {
        return malformed(
          buffer,
          offset,
          end,
          atEnd,
          `has a quote inside unquoted column ${fields.length + 1}; a field with a quote must be quoted whole, with each quote doubled`,
        );
      }
      end += 1;
    }
    if (end >= buffer.length && !atEnd) return { kind: 'incomplete' };
    fields.push({ start: position, end, quoted: false });
    if (end >= buffer.length) return { kind: 'record', fields, end, next: end };
    if (buffer[end] === separator) {
      position = end + 1;
      continue;
    }
    return ended(buffer, fields, end, atEnd);
  }
}

/** The record ends at the line break at `position` (CRLF counts as one). */
function ended(buffer: Buffer, fields: Field[], position: number, atEnd: boolean): Scanned {
  if (buffer[position] === cr && position + 1 >= buffer.length && !atEnd)
    return { kind: 'incomplete' };
  const next = buffer[position] === cr && buffer[position + 1] === lf ? position + 2 : position + 1;
  return { kind: 'record', fields, end: position, next };
}

/**
 * A malformed record runs to the end of its line. When a quote opened on an earlier line
 * got it there, the lines in between are rows of their own that the quote ran over: the
 * error is the first line's, and reading resumes on the next.
 */
function malformed(
  buffer: Buffer,
  offset: number,
  from: number,
  atEnd: boolean,
  reason: string,
): Scanned {
  const recordLineEnd = nextLineBreak(buffer, offset);
  if (recordLineEnd !== -1 && recordLineEnd < from) {
    return {
      kind: 'malformed',
      reason: 'has a quote that is not closed on its line, and no valid field ends where it closes',
      next: lineAfter(buffer, offset),
    };
  }
  const lineEnd = nextLineBreak(buffer, from);
  if (lineEnd === -1)
    return atEnd ? { kind: 'malformed', reason, next: buffer.length } : { kind: 'incomplete' };
  if (buffer[lineEnd] === cr && lineEnd + 1 >= buffer.length && !atEnd)
    return { kind: 'incomplete' };
  const next = buffer[lineEnd] === cr && buffer[lineEnd + 1] === lf ? lineEnd + 2 : lineEnd + 1;
  return { kind: 'malformed', reason, next };
}

/** The index of the quote that closes a quoted field opened before `from`, or -1. */
function closingQuote(buffer: Buffer, from: number): number {
  let position = from;
  for (;;) {
    const found = buffer.indexOf(quote, position);
    if (found === -1) return -1;
    if (buffer[found + 1] !== quote) return found;
    position = found + 2;
  }
}

function nextLineBreak(buffer: Buffer, from: number): number {
  for (let position = from; position < buffer.length; position += 1) {
    const byte = buffer[position];
    if (byte === cr || byte === lf) return position;
  }
  return -1;
}

/** Where reading resumes after a record whose quote ran on: the line after its first. */
function lineAfter(buffer: Buffer, offset: number): number {
  const lineEnd = nextLineBreak(buffer, offset);
  if (lineEnd === -1) return buffer.length;
  return buffer[lineEnd] === cr && buffer[lineEnd + 1] === lf ? lineEnd + 2 : lineEnd + 1;
}

/** The end of the first line, reading quotes as toggles (the separator is not known yet). */
function firstLineEnd(buffer: Buffer): number {
  let quoted = false;
  for (let position = 0; position < buffer.length; position += 1) {
    const byte = buffer[position];
    if (byte === quote) quoted = !quoted;
    else if (!quoted && (byte === cr || byte === lf)) return position;
  }
  return -1;
}

function headerSeparator(header: Buffer): number {
  const counts = new Map<number, number>(separators.map((separator) => [separator, 0]));
  let quoted = false;
  for (const byte of header) {
    if (byte === quote) quoted = !quoted;
    else if (!quoted && counts.has(byte)) counts.set(byte, counts.get(byte)! + 1);
  }
  let best: number = separators[0];
  for (const separator of separators)
    if (counts.get(separator)! > counts.get(best)!) best = separator;
  return best;
}
