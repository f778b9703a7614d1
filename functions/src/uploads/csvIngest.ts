import { pipeline, Transform, type Readable } from 'node:stream';
import { acceptMany, type AcceptDeps, type AcceptItem } from '../ingest/acceptEvent.ts';
import { eventInputSchema, validateEventInput } from '../ingest/eventInput.ts';
import { violationFields } from '../plan/planChecker.ts';
import { defaults } from '../lib/defaults.ts';
import type { FieldError } from '../lib/http.ts';
import { CsvRecordReader, UnreadableCsvError, type CsvRecord } from './csvRecords.ts';
import {
  inFileTerms,
  parseHeader,
  rowToRawEvent,
  type ColumnReading,
  type Header,
} from './csvRows.ts';

export type RowError = { row: number; field: string; message: string };

export type CsvLimits = {
  maxBytes: number;
  maxRows: number;
  maxEventBytes: number;
  /**
   * Calls to the core in flight, each up to a message's worth of rows; the file is read
   * no faster than Pub/Sub acknowledges them.
   */
  concurrency: number;
  /** The answer lists at most this many row errors (the counts are always complete). */
  maxReportedErrors: number;
  /** This many rows in a row that could not be queued stop the upload: Pub/Sub is down. */
  abortAfterUnavailable: number;
  /** How often (in rows) the progress is reported. */
  progressEvery: number;
};

/** Why an upload stopped before the end of its file. */
export type CsvStop =
  | { code: 'invalid_header'; fields: FieldError[] }
  | { code: 'payload_too_large'; message: string }
  | { code: 'too_many_rows'; message: string }
  | { code: 'invalid_csv'; message: string }
  | { code: 'unavailable'; message: string };

export type CsvCounts = {
  rows: number;
  insertedCount: number;
  /** Rows whose `event_id` was taken before with the same event: in once, not twice. */
  duplicateCount: number;
  failedCount: number;
  errors: RowError[];
  errorsTruncated: boolean;
};

/** How each header was read; empty until the header is. */
export type CsvResult = CsvCounts & { stop: CsvStop | null; columns: ColumnReading[] };

export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

/**
 * Reads a CSV stream row by row and takes its valid rows into the pipeline through the
 * core (`acceptMany`, source `csv`), a message's worth at a time: each row's
 * `event_id` claimed, then the rows packed into few messages. Never more than
 * `concurrency` such calls are in flight: the loop waits for an acknowledgement before
 * it reads on, so the parser, and through it the request, is paused while Pub/Sub
 * catches up. Memory stays bounded whatever the file's size. Row numbers are as a
 * spreadsheet shows them: the header is row 1, the first event row 2. A malformed row
 * is an error of its own (`CsvRecordReader` reads on after it); only a file that cannot
 * be read at all stops the upload.
 */
export async function ingestCsv(
  input: Readable,
  producer: { keyId: string },
  deps: AcceptDeps,
  limits: CsvLimits,
  onProgress: (counts: CsvCounts) => Promise<void> = async () => {},
): Promise<CsvResult> {
  const counts: CsvCounts = {
    rows: 0,
    insertedCount: 0,
    duplicateCount: 0,
    failedCount: 0,
    errors: [],
    errorsTruncated: false,
  };
  const fail = (row: number, errors: FieldError[]) => {
    counts.failedCount += 1;
    for (const error of errors) {
      if (counts.errors.length < limits.maxReportedErrors) counts.errors.push({ row, ...error });
      else counts.errorsTruncated = true;
    }
  };

  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes)
        callback(new TooLargeError(`A file is at most ${limits.maxBytes} bytes.`));
      else callback(null, chunk);
    },
  });
  const reader = new CsvRecordReader({ maxRecordBytes: limits.maxEventBytes });
  // Errors of any stage end the iteration below with that error.
  const records = pipeline(input, counter, reader, () => {}) as unknown as AsyncIterable<CsvRecord>;

  const inFlight = new Set<Promise<void>>();
  let unavailableStreak = 0;
  let progressAt = -Infinity;
  let header: Header | undefined;
  let stop: CsvStop | null = null;
  const producerOf = { keyId: producer.keyId, source: 'csv' };
  let chunk: { row: number; item: AcceptItem }[] = [];
  let chunkBytes = 0;
  /**
   * Sends the rows gathered so far as one call to the core (their keys claimed, then
   * packed into as few messages as fit), with at most `concurrency` calls in flight.
   */
  const dispatch = async () => {
    if (chunk.length === 0) return;
    const sent = chunk;
    chunk = [];
    chunkBytes = 0;
    const keyColumn = header?.headerOfField.get('idempotencyKey') ?? 'event_id';
    const publishing: Promise<void> = acceptMany(
      sent.map(({ item }) => item),
      producerOf,
      deps,
    )
      .then((outcomes) => {
        outcomes.forEach((outcome, index) => {
          const { row } = sent[index]!;
          switch (outcome.kind) {
            case 'accepted':
            case 'duplicate':
              counts[outcome.kind === 'accepted' ? 'insertedCount' : 'duplicateCount'] += 1;
              unavailableStreak = 0;
              return;
            case 'conflict':
              unavailableStreak = 0;
              fail(row, [{ field: keyColumn, message: 'was taken before by a different event' }]);
              return;
            case 'blocked':
              unavailableStreak = 0;
              fail(row, violationFields(outcome.violations));
              return;
            case 'unavailable':
              unavailableStreak += 1;
              fail(row, [
                { field: '(row)', message: 'could not be queued; upload this row again' },
              ]);
          }
        });
      })
      .finally(() => inFlight.delete(publishing));
    inFlight.add(publishing);
    if (inFlight.size >= limits.concurrency) await Promise.race(inFlight);
  };

  try {
    for await (const record of records) {
      if (!header) {
        if (record.cells === undefined) {
          stop = { code: 'invalid_header', fields: [{ field: 'header', message: record.error }] };
          break;
        }
        const parsed = parseHeader(record.cells);
        if (!parsed.ok) {
          stop = { code: 'invalid_header', fields: parsed.errors };
          break;
        }
        header = parsed.header;
        continue;
      }
      // Spreadsheets end files with empty rows: they hold no event.
      if (record.cells?.every((cell) => cell === '')) continue;
      if (counts.rows >= limits.maxRows) {
        stop = {
          code: 'too_many_rows',
          message: `A file holds at most ${limits.maxRows} rows; the rows from row ${record.row} on were not read.`,
        };
        break;
      }
      counts.rows += 1;
      const { row, cells } = record;
      if (cells === undefined) {
        fail(row, [{ field: '(row)', message: record.error }]);
        continue;
      }
      const mapped = rowToRawEvent(header, cells);
      if (!mapped.ok) {
        fail(row, mapped.errors);
        continue;
      }
      const validated = validateEventInput(mapped.raw, eventInputSchema, limits.maxEventBytes);
      if (!validated.ok) {
        fail(row, inFileTerms(header, validated.errors));
        continue;
      }
      chunk.push({ row, item: { input: validated.value, idempotencyKey: mapped.idempotencyKey } });
      // The row's text bounds what it holds in memory; the messages are measured exactly.
      chunkBytes += cells.reduce((sum, cell) => sum + cell.length, 0);
      const { maxEvents, maxBytes } = deps.messageLimits;
      if (chunk.length >= maxEvents || chunkBytes >= maxBytes) {
        await dispatch();
        if (unavailableStreak >= limits.abortAfterUnavailable) {
          stop = {
            code: 'unavailable',
            message: `Pub/Sub did not accept ${unavailableStreak} rows in a row; the rows after row ${row} were not read.`,
          };
          break;
        }
      }
      // Every so many rows, and never twice in a second: one document, one writer at a time.
      if (
        counts.rows % limits.progressEvery === 0 &&
        performance.now() - progressAt >= defaults.uploadProgressMinIntervalMs
      ) {
        progressAt = performance.now();
        await onProgress(counts);
      }
    }
  } catch (error) {
    stop = stopFor(error);
  }
  // The rows read before the end, or before a limit stopped the reading, go in too.
  await dispatch();
  await Promise.all(inFlight);
  if (!header && !stop)
    stop = { code: 'invalid_header', fields: [{ field: 'file', message: 'the file is empty' }] };
  // Rows settle in the order Pub/Sub and Firestore answer; the report reads in file order.
  counts.errors.sort((a, b) => a.row - b.row);
  return { ...counts, stop, columns: header?.readings ?? [] };
}

function stopFor(error: unknown): CsvStop {
  if (error instanceof TooLargeError) return { code: 'payload_too_large', message: error.message };
  if (error instanceof UnreadableCsvError) return { code: 'invalid_csv', message: error.message };
  throw error;
}
