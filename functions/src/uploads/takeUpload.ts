import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import busboy from 'busboy';
import { z } from 'zod';
import type { AcceptDeps } from '../ingest/acceptEvent.ts';
import type { TokenBucketRateLimiter } from '../ingest/rateLimiter.ts';
import { clientAddressBucket } from '../lib/clientAddress.ts';
import { HttpError } from '../lib/http.ts';
import type { Logger } from '../lib/logger.ts';
import type { Principal } from '../lib/router.ts';
import { multipartContentType } from '../lib/streamingUploads.ts';
import { ingestCsv, type CsvLimits, type CsvResult } from './csvIngest.ts';
import { batchChanges, type UploadBatch, type UploadBatchStore } from './uploadBatches.ts';

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

/** A multipart part holding a file, as client generators read it (a Blob, not text). */
export const csvFile = { format: 'binary', contentMediaType: 'text/csv' };

export const uploadBodySchema = z.object({
  file: z
    .string()
    .meta(csvFile)
    .describe(
      "The CSV file (header row first). Headers are read whatever their case, spaces, _ or -: eventType (required), occurredAt (or timestamp, time), siteId, userId, path, event_id (the row's idempotency key), payload and metadata as JSON text or payload.<name> / metadata.<name> columns; every other column goes into the payload under its header.",
    ),
});

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
