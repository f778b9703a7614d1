import type { Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import type { CsvResult, CsvStop } from './csvIngest.ts';
import { type UploadBatch, type UploadBatchSummary, uploadStatuses } from './uploadBatches.ts';

const columnReadingSchema = z.object({
  header: z.string().describe('The header as the file has it.'),
  field: z
    .string()
    .describe(
      'What it was read as: eventType, occurredAt, siteId, userId, path, idempotencyKey, payload, metadata, payload.<name>, metadata.<name>, or (none) for a column without a header.',
    ),
});

/** The counts and first errors; `errors` holds at most `maxReportedErrors` entries. */
export const uploadResultSchema = z.object({
  batchId: z.string(),
  status: z.enum(['completed', 'stopped']),
  rows: z.number().int(),
  insertedCount: z.number().int(),
  duplicateCount: z
    .number()
    .int()
    .describe('Rows whose event_id was taken before with the same event: in once, not twice.'),
  failedCount: z.number().int(),
  columns: z.array(columnReadingSchema),
  errors: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
  errorsTruncated: z.boolean(),
});

/** An upload as listed: its counts and state, without the columns and row errors. */
export const uploadSummarySchema = z.object({
  batchId: z.string(),
  fileName: z.string().nullable(),
  status: z.enum(uploadStatuses),
  rows: z.number().int(),
  insertedCount: z.number().int(),
  duplicateCount: uploadResultSchema.shape.duplicateCount,
  failedCount: z.number().int(),
  errorsTruncated: z.boolean(),
  stop: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** An upload's whole record, as read back while or after it is read. */
export const uploadRecordSchema = uploadSummarySchema.extend({
  columns: uploadResultSchema.shape.columns,
  errors: uploadResultSchema.shape.errors,
});

/** What an upload answers: its batch, how far the file went, its counts and first errors. */
export function uploadAnswer(
  batchId: string,
  result: CsvResult,
): z.infer<typeof uploadResultSchema> {
  return {
    batchId,
    status: result.stop ? 'stopped' : 'completed',
    rows: result.rows,
    insertedCount: result.insertedCount,
    duplicateCount: result.duplicateCount,
    failedCount: result.failedCount,
    columns: result.columns,
    errors: result.errors,
    errorsTruncated: result.errorsTruncated,
  };
}

/**
 * The answer to an upload, `body` being the counts in the route's own shape: 200 when
 * the file was read to its end, else the stop's status with our error beside the counts.
 */
export function answerUpload(res: Response, stop: CsvStop | null, body: object): void {
  if (!stop) {
    res.status(200).json(body);
    return;
  }
  const status = {
    invalid_header: 400,
    invalid_csv: 400,
    payload_too_large: 413,
    too_many_rows: 413,
    unavailable: 503,
  }[stop.code];
  const error =
    stop.code === 'invalid_header'
      ? {
          code: 'invalid_upload',
          message: 'The file cannot be read as events.',
          fields: stop.fields,
        }
      : { code: stop.code, message: stop.message };
  // The rest of the body is not read: close the connection rather than drain it.
  res.setHeader('Connection', 'close');
  res.status(status).json({ error, ...body });
}

export function presentBatchSummary(
  batch: UploadBatchSummary,
): z.infer<typeof uploadSummarySchema> {
  return {
    batchId: batch.batchId,
    fileName: batch.fileName,
    status: batch.status,
    rows: batch.rows,
    insertedCount: batch.insertedCount,
    duplicateCount: batch.duplicateCount ?? 0,
    failedCount: batch.failedCount,
    errorsTruncated: batch.errorsTruncated,
    stop: batch.stop,
    startedAt: batch.startedAt.toISOString(),
    finishedAt: batch.finishedAt?.toISOString() ?? null,
  };
}

export function presentBatch(batch: UploadBatch): z.infer<typeof uploadRecordSchema> {
  return { ...presentBatchSummary(batch), columns: batch.columns ?? [], errors: batch.errors };
}
