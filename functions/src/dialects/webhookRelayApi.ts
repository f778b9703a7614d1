import { z } from 'zod';
import { findEvent, type EventDetail, type EventDetailDeps } from '../admin/eventDetail.ts';
import { HttpError, sendErrorWithSuccessFlag } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import { webhookRelayTag as tag } from './webhookRelay.ts';

/** The relay's route on the api function: one event with its delivery logs. */

/** An event as the relay showed it, with every webhook delivery attempt as a log entry. */
export function presentRelayedEvent(detail: EventDetail): Record<string, unknown> {
  const { record, body, deliveries } = detail;
  return {
    id: record.eventId,
    eventType: record.eventType,
    idempotencyKey: record.idempotencyKey,
    payload: body?.payload ?? null,
    receivedAt: record.receivedAt?.toISOString() ?? null,
    status: record.status,
    deliveryLogs: deliveries.flatMap((delivery) =>
      delivery.attempts.map((attempt) => ({
        endpointId: delivery.endpointId,
        deliveryStatus: delivery.status,
        attemptedAt: attempt.at.toISOString(),
        statusCode: attempt.statusCode,
        responseTimeMs: attempt.latencyMs,
        outcome: attempt.outcome,
        error: attempt.error,
      })),
    ),
  };
}

export const webhookRelayApiRoutes: Route<EventDetailDeps>[] = [
  {
    method: 'GET',
    path: '/api/v1/events/:eventId',
    role: 'admin',
    tag,
    summary: 'One event with its payload and its webhook delivery logs',
    responses: {
      200: {
        description: 'The event.',
        schema: z.object({ success: z.literal(true), event: z.record(z.string(), z.unknown()) }),
      },
      404: { description: 'No status recorded.' },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async ({ res, params }, deps) => {
      const found = await findEvent(params.eventId ?? '', deps);
      if (!found) throw new HttpError(404, 'not_found', 'Event not found.');
      res.status(200).json({ success: true, event: presentRelayedEvent(found) });
    },
  },
];
