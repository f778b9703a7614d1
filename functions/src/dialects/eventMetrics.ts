import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../admin/failedEvents.ts';
import type { OpsDeps } from '../admin/opsDeps.ts';
import { HttpError, renameFields } from '../lib/http.ts';
import { parseQuery } from '../lib/requestInput.ts';
import type { Route } from '../lib/router.ts';
import type { MetricsAnswer } from '../metrics/dailyMetrics.ts';
import { parseMetricsQuery } from '../metrics/metricsQuery.ts';
import {
  invalidQuery,
  unlessUnavailable,
  type MetricsRouteDeps,
} from '../metrics/metricsRoutes.ts';
import type { EventRecord } from '../process/eventRecord.ts';
import type { CsvResult } from '../uploads/csvIngest.ts';
import type { UploadBatch } from '../uploads/uploadBatches.ts';
import { csvFile, takeUpload } from '../uploads/takeUpload.ts';
import { answerUpload } from '../uploads/uploadAnswers.ts';
import type { UploadRouteDeps } from '../uploads/uploadRouteDeps.ts';
import { translateQuery } from './dialectQuery.ts';

/**
 * The Event Metrics service's API, on api: `POST /uploads` (a CSV, with an API key),
 * `POST /batches/:id/process`, `GET /metrics`, and the dead-letter view
 * `GET /admin/queues/event-processing/dlq`. Tributary processes an upload as it reads
 * it, so asking to process a batch reports the state it is in.
 */

const tag = 'Event Metrics service';
const queueName = 'event-processing';

/** The counts of an upload in its snake_case shape. */
export function presentUpload(batchId: string, result: CsvResult): Record<string, unknown> {
  return {
    batch_id: batchId,
    inserted_count: result.insertedCount,
    duplicate_count: result.duplicateCount,
    failed_count: result.failedCount,
    errors: result.errors,
    errors_truncated: result.errorsTruncated,
    columns: result.columns,
  };
}

/** `POST /batches/:id/process`: there is nothing left to process; the batch's state. */
export function processAnswer(batch: UploadBatch): { message: string; batchId: string } {
  const counts = `${batch.insertedCount} inserted, ${batch.duplicateCount ?? 0} duplicate, ${batch.failedCount} failed`;
  const message =
    batch.status === 'receiving'
      ? `Batch is being processed as it uploads (${counts} so far)`
      : `Batch was processed at upload: ${batch.status} (${counts})`;
  return { message, batchId: batch.batchId };
}

/**
 * Its query names onto ours; `from` alone runs to today, as it did there. The names
 * errors are given back in: `to` is `from`'s when `from` came alone.
 */
export function metricsQueryInOurTerms(
  query: Record<string, unknown> | undefined,
  today: string,
): ReturnType<typeof translateQuery> & { errorNames: Record<string, string> } {
  const translated = translateQuery(query, {
    date: 'date',
    from: 'from',
    to: 'to',
    event_type: 'eventType',
  });
  const fromAlone = translated.query.from !== undefined && translated.query.to === undefined;
  if (fromAlone) translated.query.to = today;
  return {
    ...translated,
    errorNames: { eventType: 'event_type', ...(fromAlone ? { to: 'from' } : {}) },
  };
}

/** Daily counts with `event_type` for `eventType`. */
export function presentMetrics(answer: MetricsAnswer): Record<string, unknown> {
  return {
    count: answer.count,
    data: answer.data.map(({ date, metrics }) => ({
      date,
      metrics: metrics.map(({ eventType, count }) => ({ event_type: eventType, count })),
    })),
  };
}

/** A dead-lettered event as a failed job of the queue the service had. */
export function presentJob(record: EventRecord): Record<string, unknown> {
  return {
    id: record.eventId,
    name: record.eventType,
    failedReason: record.lastError?.message ?? null,
    attemptsMade: record.attempts,
    timestamp: record.receivedAt?.getTime() ?? null,
    failedOn: record.deadLetteredAt?.getTime() ?? null,
  };
}

const uploadAnswerSchema = z.object({
  batch_id: z.string(),
  inserted_count: z.number().int(),
  duplicate_count: z.number().int(),
  failed_count: z.number().int(),
  errors: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
});

const dlqQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Jobs listed, 1–100.'),
  cursor: z.string().max(500).optional().describe('`next_cursor` of the previous answer.'),
});

/** What the service's routes use: uploads, daily metrics and admin's failed-event queries. */
type EventMetricsDeps = UploadRouteDeps & MetricsRouteDeps & { ops: Pick<OpsDeps, 'queries'> };

export const eventMetricsApiRoutes: Route<EventMetricsDeps>[] = [
  {
    method: 'POST',
    path: '/uploads',
    role: 'apiKey',
    tag,
    summary: 'Upload a CSV file of events (multipart/form-data, field "file")',
    description:
      "Headers are read whatever their case, spaces, _ or -; event_id is the row's idempotency key; other columns go into the payload. See POST /v1/uploads.",
    idempotencyHint: "A row's event_id column is its idempotency key.",
    bodyMediaType: 'multipart/form-data',
    body: z.object({
      file: z.string().meta(csvFile).describe('The CSV file, header row first.'),
    }),
    responses: {
      200: { description: 'The file was read to its end.', schema: uploadAnswerSchema },
    },
    handle: async ({ req, res, apiKey, log }, deps) => {
      const { batchId, result } = await takeUpload(req, res, apiKey!, deps.ops.uploads, log);
      answerUpload(res, result.stop, presentUpload(batchId, result));
    },
  },
  {
    method: 'POST',
    path: '/batches/:id/process',
    role: 'apiKey',
    tag,
    summary: "An upload's state: it was processed as it was read",
    responses: {
      200: {
        description: 'The state.',
        schema: z.object({ message: z.string(), batchId: z.string() }),
      },
      404: { description: 'No such upload for this key.' },
    },
    handle: async ({ res, params, apiKey }, deps) => {
      const batch = await deps.ops.uploads.batches.get(params.id ?? '');
      if (!batch || batch.keyId !== apiKey?.keyId)
        throw new HttpError(404, 'not_found', 'No such batch for this key.');
      res.status(200).json(processAnswer(batch));
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    role: 'admin',
    tag,
    summary: 'Daily event counts by type: date, or from (and to), and event_type',
    query: z.object({
      date: z.string().optional().describe('YYYY-MM-DD (UTC).'),
      from: z.string().optional().describe('YYYY-MM-DD; to today without `to`.'),
      to: z.string().optional(),
      event_type: z.string().optional(),
    }),
    responses: {
      200: {
        description: 'One entry per day.',
        schema: z.object({
          count: z.number().int(),
          data: z.array(
            z.object({
              date: z.string(),
              metrics: z.array(z.object({ event_type: z.string(), count: z.number().int() })),
            }),
          ),
        }),
      },
    },
    handle: async ({ req, res }, deps) => {
      const today = deps.metrics.today();
      const { query, errors, errorNames } = metricsQueryInOurTerms(req.query, today);
      const parsed = parseMetricsQuery(query, today);
      const problems = [...errors, ...(parsed.ok ? [] : renameFields(parsed.errors, errorNames))];
      if (problems.length > 0 || !parsed.ok) throw invalidQuery(problems);
      res
        .status(200)
        .json(presentMetrics(await unlessUnavailable(deps.metrics.dailyMetrics(parsed.value))));
    },
  },
  {
    method: 'GET',
    path: `/admin/queues/${queueName}/dlq`,
    role: 'admin',
    tag,
    summary: 'Dead-lettered events, as the failed jobs of the processing queue',
    query: dlqQuerySchema,
    responses: {
      200: {
        description: 'The count and the newest jobs.',
        schema: z.object({
          queue: z.literal(queueName),
          failed_count: z.number().int(),
          jobs: z.array(z.record(z.string(), z.unknown())),
          next_cursor: z.string().nullable(),
        }),
      },
    },
    handle: async ({ req, res }, deps) => {
      const { limit, cursor } = parseQuery(req, dlqQuerySchema);
      const filter = { statuses: ['DEAD_LETTER' as const] };
      const [page, count] = await Promise.all([
        deps.ops.queries.failedPage(filter, limit, cursor ? decodeCursor(cursor) : undefined),
        deps.ops.queries.countFailed(filter),
      ]);
      res.status(200).json({
        queue: queueName,
        failed_count: count,
        jobs: page.items.map(presentJob),
        next_cursor: page.next ? encodeCursor(page.next) : null,
      });
    },
  },
];
