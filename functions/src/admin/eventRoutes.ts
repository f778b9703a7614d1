import { z } from 'zod';
import { HttpError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import type { EventRecord } from '../process/eventRecord.ts';
import { deliveryStateSchema, presentDelivery } from '../webhooks/deliveryRoutes.ts';
import type { ApiDeps } from './apiDeps.ts';
import { findEvent } from './eventDetail.ts';
import { eventStatusSchema } from './schemas.ts';

const errorSchema = z.object({ code: z.string(), message: z.string() });

const eventWithDeliveriesSchema = eventStatusSchema.extend({
  payload: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("The event's payload; null when neither the event nor the warehouse has it."),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  deliveries: z.array(
    deliveryStateSchema.extend({
      attempts: z
        .array(
          z.object({
            at: z.string().nullable(),
            statusCode: z.number().int().nullable(),
            latencyMs: z.number(),
            outcome: z.string(),
            error: errorSchema.nullable(),
            responseExcerpt: z.string().nullable(),
          }),
        )
        .describe('The latest attempts, oldest first.'),
    }),
  ),
});

/** One event's status and its webhook delivery log, for operators. */
export const eventRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/v1/events/:eventId',
    role: 'admin',
    tag: 'Events',
    summary: "One event's status, its payload and its webhook deliveries with their attempts",
    responses: {
      200: { description: 'The event.', schema: eventWithDeliveriesSchema },
      404: { description: 'No status is recorded for this event yet.' },
    },
    handle: async ({ res, params }, deps) => {
      const found = await findEvent(params.eventId ?? '', deps);
      if (!found)
        throw new HttpError(404, 'not_found', 'No status is recorded for this event yet.');
      res.status(200).json({
        ...presentEvent(found.record),
        payload: found.body?.payload ?? null,
        metadata: found.body?.metadata ?? null,
        deliveries: found.deliveries.map(presentDelivery),
      });
    },
  },
];

export function presentEvent(record: EventRecord): Record<string, unknown> {
  return {
    eventId: record.eventId,
    status: record.status,
    eventType: record.eventType,
    source: record.source,
    producer: record.producer,
    idempotencyKey: record.idempotencyKey,
    attempts: record.attempts,
    replays: record.replays,
    receivedAt: iso(record.receivedAt),
    occurredAt: iso(record.occurredAt),
    processedAt: iso(record.processedAt),
    failedAt: iso(record.failedAt),
    deadLetteredAt: iso(record.deadLetteredAt),
    queuedAt: iso(record.queuedAt),
    lastError: record.lastError ? { ...record.lastError, at: iso(record.lastError.at) } : null,
    violations: record.violations,
    processingLatencyMs:
      record.processedAt && record.receivedAt
        ? record.processedAt.getTime() - record.receivedAt.getTime()
        : null,
    history: record.history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
  };
}

function iso(date: Date | null): string | null {
  return date?.toISOString() ?? null;
}
