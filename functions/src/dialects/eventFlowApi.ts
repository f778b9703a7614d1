import { eventStatuses } from '../process/eventRecord.ts';
import { z } from 'zod';
import type { ApiDeps } from '../admin/apiDeps.ts';
import { replayOrRefuse } from '../admin/adminRoutes.ts';
import { findEvent, type EventDetail } from '../admin/eventDetail.ts';
import type { MetricsSummary } from '../admin/metrics.ts';
import { metricsSummary } from '../admin/metrics.ts';
import { HttpError, sendErrorWithSuccessFlag } from '../lib/http.ts';
import { parseQuery } from '../lib/requestInput.ts';
import type { Route } from '../lib/router.ts';
import type { EventRecord, EventStatus } from '../process/eventRecord.ts';
import { eventFlowTag as tag } from './eventFlow.ts';

/** EventFlow's routes on the api function: failed events, one event, replay, metrics. */

/** Numbered pages reach this deep; the cursor of `/v1/admin/events/failed` goes further. */
export const maxFailedOffset = 10_000;

/** An event in EventFlow's field names, with Tributary's status and history. */
export function presentEventFlowEvent(
  record: EventRecord,
  body?: EventDetail['body'],
): Record<string, unknown> {
  return {
    id: record.eventId,
    eventType: record.eventType,
    ...(body === undefined
      ? {}
      : { payload: body?.payload ?? null, metadata: body?.metadata ?? null }),
    status: record.status,
    retryCount: record.attempts,
    replays: record.replays,
    failureReason: record.lastError?.message ?? null,
    createdAt: iso(record.receivedAt),
    occurredAt: iso(record.occurredAt),
    processedAt: iso(record.processedAt),
    failedAt: iso(record.failedAt),
    deadLetteredAt: iso(record.deadLetteredAt),
    updatedAt: iso(record.updatedAt),
    history: record.history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
  };
}

/**
 * EventFlow's counts from Tributary's: `pending` is what waits for processing after a
 * replay (QUEUED); an event is settled within one delivery, so none is `processing`.
 */
export function presentMetrics(summary: MetricsSummary): Record<string, unknown> {
  const { PROCESSED, FAILED, DEAD_LETTER, QUEUED, QUARANTINED } = summary.byStatus;
  const mean = summary.latency.meanMs;
  return {
    summary: {
      total: PROCESSED + FAILED + DEAD_LETTER + QUEUED + QUARANTINED,
      pending: QUEUED,
      processing: 0,
      processed: PROCESSED,
      failed: FAILED,
      deadLetter: DEAD_LETTER,
      // Held back by the tracking plan: an addition to EventFlow's counts.
      quarantined: QUARANTINED,
    },
    eventsByType: summary.byType.types.map(({ eventType, count }) => ({ eventType, count })),
    processingStats: {
      averageProcessingTimeSeconds: mean === null ? null : mean / 1000,
      totalProcessed: PROCESSED,
    },
  };
}

/** The page's place: 400 past the deepest page numbers reach. */
export function pageOffset(page: number, limit: number): number {
  const offset = (page - 1) * limit;
  if (offset >= maxFailedOffset) {
    throw new HttpError(400, 'invalid_query', 'The page is too deep.', {
      fields: [
        {
          field: 'page',
          message: `pages reach the first ${maxFailedOffset} events; page through /v1/admin/events/failed with its cursor`,
        },
      ],
    });
  }
  return offset;
}

const failedStatuses: EventStatus[] = ['FAILED', 'DEAD_LETTER'];

const failedQuerySchema = z.strictObject({
  page: z.coerce.number().int().min(1).default(1).describe('From 1.'),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, 1–100.'),
});

const eventSchema = z.object({
  id: z.string(),
  eventType: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  status: z.enum(eventStatuses),
  retryCount: z.number().int(),
  failureReason: z.string().nullable(),
  createdAt: z.string().nullable(),
  history: z.array(z.record(z.string(), z.unknown())),
});

export const eventFlowApiRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/admin/events/failed',
    role: 'admin',
    tag,
    summary: 'Failed and dead-lettered events by page, newest failure first',
    description: 'Items carry no payload; `GET /admin/events/{id}` has it.',
    query: failedQuerySchema,
    responses: {
      200: {
        description: 'One page.',
        schema: z.object({
          events: z.array(eventSchema),
          pagination: z.object({
            page: z.number().int(),
            limit: z.number().int(),
            total: z.number().int(),
            totalPages: z.number().int(),
          }),
        }),
      },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async ({ req, res }, deps) => {
      const { page, limit } = parseQuery(req, failedQuerySchema);
      const filter = { statuses: failedStatuses };
      const [records, total] = await Promise.all([
        deps.ops.queries.failedPageAt(filter, limit, pageOffset(page, limit)),
        deps.ops.queries.countFailed(filter),
      ]);
      res.status(200).json({
        events: records.map((record) => presentEventFlowEvent(record)),
        pagination: { page, limit, total, totalPages: Math.ceil(total / limit) },
      });
    },
  },
  {
    method: 'GET',
    path: '/admin/events/:id',
    role: 'admin',
    tag,
    summary: 'One event: status, payload, metadata and history',
    responses: {
      200: { description: 'The event.', schema: eventSchema },
      404: { description: 'No status recorded.' },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async ({ res, params }, deps) => {
      const found = await findEvent(params.id ?? '', deps);
      if (!found) throw new HttpError(404, 'not_found', 'No status is recorded for this event.');
      res.status(200).json(presentEventFlowEvent(found.record, found.body));
    },
  },
  {
    method: 'POST',
    path: '/admin/events/:id/replay',
    role: 'admin',
    tag,
    summary: 'Replay a failed or dead-lettered event',
    responses: {
      200: {
        description: 'Queued for replay.',
        schema: z.object({ success: z.literal(true), message: z.string(), event: eventSchema }),
      },
      404: { description: 'No status recorded.' },
      409: { description: 'Processed, already queued, or never readable: the reason says which.' },
      410: { description: 'Erased by a privacy regulation.' },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async ({ res, params, log }, deps) => {
      const { eventId } = await replayOrRefuse(params.id ?? '', deps, log);
      const found = await findEvent(eventId, deps);
      res.status(200).json({
        success: true,
        message: 'Event queued for replay',
        event: found ? presentEventFlowEvent(found.record, found.body) : { id: eventId },
      });
    },
  },
  {
    method: 'GET',
    path: '/admin/metrics',
    role: 'admin',
    tag,
    summary: 'Counts by status and type, and the mean processing time',
    responses: {
      200: {
        description: 'The metrics.',
        schema: z.object({
          summary: z.record(z.string(), z.number().int()),
          eventsByType: z.array(z.object({ eventType: z.string(), count: z.number().int() })),
          processingStats: z.object({
            averageProcessingTimeSeconds: z.number().nullable(),
            totalProcessed: z.number().int(),
          }),
        }),
      },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async ({ res }, deps) => {
      const { queries, backlog, metrics, now } = deps.ops;
      res.status(200).json(presentMetrics(await metricsSummary(queries, backlog, metrics, now())));
    },
  },
];

function iso(date: Date | null): string | null {
  return date?.toISOString() ?? null;
}
