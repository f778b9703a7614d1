import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import busboy from 'busboy';
import { z } from 'zod';
import type { AcceptDeps } from '../ingest/acceptEvent.ts';
import type { TokenBucketRateLimiter } from '../ingest/rateLimiter.ts';
import { HttpError } from '../lib/http.ts';
import { clientAddressBucket } from '../lib/clientAddress.ts';
import type { Logger } from '../lib/logger.ts';
import type { Principal, Route } from '../lib/router.ts';
import { multipartContentType } from '../lib/streamingUploads.ts';
import { ingestCsv, type CsvLimits, type CsvResult, type CsvStop } from './csvIngest.ts';
import {
  batchChanges,
  type UploadBatch,
  type UploadBatchStore,
  type UploadBatchSummary,
  uploadStatuses,
} from './uploadBatches.ts';

export type UploadDeps = {
  accept: AcceptDeps;
  batches: UploadBatchStore;
  limits: CsvLimits;
  /** Uploads per minute, per API key and per client address, each a token bucket. */
  rate: { perKeyPerMinute: number; perIpPerMinute: number };
  limiter: TokenBucketRateLimiter;
  batchTtlDays: number;
  now: () => Date;
};

// The counts and first errors; `errors` holds at most `maxReportedErrors` entries.
const columnReadingSchema = z.object({
  header: z.string().describe('The header as the file has it.'),
  field: z
    .string()
    .describe(
      'What it was read as: eventType, occurredAt, siteId, userId, path, idempotencyKey, payload, metadata, payload.<name>, metadata.<name>, or (none) for a column without a header.',
    ),
});

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

export const uploadBodySchema = z.object({
  file: z
    .string()
    .describe(
      "The CSV file (header row first). Headers are read whatever their case, spaces, _ or -: eventType (required), occurredAt (or timestamp, time), siteId, userId, path, event_id (the row's idempotency key), payload and metadata as JSON text or payload.<name> / metadata.<name> columns; every other column goes into the payload under its header.",
    ),
});

/** CSV uploads: each row an event, published like the event API's, source `csv`. */
export const uploadRoutes: Route<{ ops: { uploads: UploadDeps } }>[] = [
  {
    method: 'POST',
    path: '/v1/uploads',
    role: 'apiKey',
    tag: 'Uploads',
    summary: 'Upload a CSV file of events (multipart/form-data, field "file")',
    idempotencyHint: "A row's event_id column is its idempotency key.",
    body: uploadBodySchema,
    bodyMediaType: 'multipart/form-data',
    responses: {
      200: { description: 'The file was read to its end.', schema: uploadResultSchema },
      400: { description: 'Not a CSV upload, a bad header, or invalid CSV part-way.' },
      413: { description: 'Over the size or row limit (named in the message).' },
      415: { description: 'Not multipart/form-data.' },
      429: { description: 'Too many uploads; wait Retry-After seconds.' },
    },
    handle: async ({ req, res, apiKey, log }, deps) => {
      const { batchId, result } = await takeUpload(req, res, apiKey!, deps.ops.uploads, log);
      answerUpload(res, result.stop, uploadAnswer(batchId, result));
    },
  },
  {
    method: 'GET',
    path: '/v1/uploads/:batchId',
    role: 'apiKey',
    tag: 'Uploads',
    summary: 'The record of an upload made with this key',
    responses: { 200: { description: 'The batch record.', schema: uploadRecordSchema } },
    handle: async ({ res, params, apiKey }, deps) => {
      const batch = await deps.ops.uploads.batches.get(params.batchId ?? '');
      if (!batch || batch.keyId !== apiKey?.keyId)
        throw new HttpError(404, 'not_found', 'No such upload for this key.');
      res.status(200).json(presentBatch(batch));
    },
  },
];

/**
 * One CSV upload through the core, whatever route it came by: the rate limits, the
 * stream read row by row into events, the batch record. Refusals before any row is
 * read are thrown; the result says how far the file went.
 */
export async function takeUpload(
  req: Request,
  res: Response,
  apiKey: Principal,
  deps: UploadDeps,
  log: Logger,
): Promise<{ batchId: string; result: CsvResult }> {
  enforceRate(deps, `ip:${clientAddressBucket(req)}`, deps.rate.perIpPerMinute, 'this address');
  enforceRate(deps, `key:${apiKey.keyId}`, deps.rate.perKeyPerMinute, 'this API key');
  const contentType = multipartContentType(req);
  if (!contentType) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'Send the file as multipart/form-data in a field named "file".',
    );
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  // The multipart envelope adds a few hundred bytes around the file.
  if (declared > deps.limits.maxBytes + 64 * 1024) {
    res.setHeader('Connection', 'close');
    throw new HttpError(
      413,
      'payload_too_large',
      `A file is at most ${deps.limits.maxBytes} bytes.`,
    );
  }

  const now = deps.now();
  const batch: UploadBatch = {
    batchId: randomUUID(),
    keyId: apiKey.keyId,
    fileName: null,
    status: 'receiving',
    rows: 0,
    insertedCount: 0,
    duplicateCount: 0,
    failedCount: 0,
    columns: [],
    errors: [],
    errorsTruncated: false,
    stop: null,
    startedAt: now,
    updatedAt: now,
    finishedAt: null,
    expireAt: new Date(now.getTime() + deps.batchTtlDays * 86_400_000),
  };
  await deps.batches.create(batch);
  const result = await readUpload(req, contentType, batch, apiKey, deps);
  await deps.batches.update(batch.batchId, {
    ...batchChanges(result, deps.now(), result.stop),
    fileName: batch.fileName,
    columns: result.columns,
  });
  log.info(
    {
      batchId: batch.batchId,
      keyId: apiKey.keyId,
      rows: result.rows,
      insertedCount: result.insertedCount,
      failedCount: result.failedCount,
      stop: result.stop?.code ?? null,
    },
    'csv upload',
  );
  return { batchId: batch.batchId, result };
}

/** Streams the multipart body: the first part named "file" is the CSV; others are skipped. */
function readUpload(
  req: Request,
  contentType: string,
  batch: UploadBatch,
  apiKey: Principal,
  deps: UploadDeps,
): Promise<CsvResult> {
  return new Promise<CsvResult>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fields: 10, parts: 20, fileSize: deps.limits.maxBytes + 1 },
      });
    } catch {
      reject(new HttpError(400, 'invalid_upload', 'The multipart body has no boundary.'));
      return;
    }
    let handled = false;
    parser.on('file', (name, file, info) => {
      if (name !== 'file' || handled) {
        file.resume();
        return;
      }
      handled = true;
      batch.fileName = info.filename ?? null;
      ingestCsv(file, apiKey, deps.accept, deps.limits, (counts) =>
        deps.batches.update(batch.batchId, {
          ...batchChanges(counts, deps.now()),
          fileName: batch.fileName,
        }),
      ).then((result) => {
        // Whatever the CSV reader left unread is drained, so the answer can be sent.
        file.resume();
        resolve(result);
      }, reject);
    });
    parser.on('close', () => {
      if (!handled) {
        resolve({
          rows: 0,
          insertedCount: 0,
          duplicateCount: 0,
          failedCount: 0,
          columns: [],
          errors: [],
          errorsTruncated: false,
          stop: {
            code: 'invalid_header',
            fields: [{ field: 'file', message: 'no file part named "file"' }],
          },
        });
      }
    });
    parser.on('error', (error: unknown) => {
      if (!handled)
        reject(
          new HttpError(400, 'invalid_upload', `The multipart body is malformed: ${String(error)}`),
        );
    });
    req.pipe(parser);
  });
}

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

function enforceRate(deps: UploadDeps, bucket: string, perMinute: number, who: string): void {
  const decision = deps.limiter.take(bucket, {
    perSecond: perMinute / 60,
    burst: Math.max(1, Math.ceil(perMinute / 2)),
  });
  if (!decision.allowed) {
    throw new HttpError(
      429,
      'rate_limited',
      `At most ${perMinute} uploads a minute from ${who}; retry after ${decision.retryAfterSeconds} s.`,
      { headers: { 'Retry-After': String(decision.retryAfterSeconds) } },
    );
  }
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
