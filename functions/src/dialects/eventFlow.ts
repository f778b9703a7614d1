import { z } from 'zod';
import { eventInputSchema } from '../ingest/eventInput.ts';
import type { IngestDeps } from '../ingest/ingestDeps.ts';
import {
  admit,
  idempotencyConflict,
  takeEvent,
  type TakenEvent,
} from '../ingest/producerEvents.ts';
import { sendErrorWithSuccessFlag } from '../lib/http.ts';
import { idempotencyKeyOf } from '../lib/idempotencyHeader.ts';
import type { Route } from '../lib/router.ts';

/**
 * EventFlow's API: `POST /events` on ingest (here); `/admin/events/failed`,
 * `/admin/events/:id`, `/admin/events/:id/replay` and `/admin/metrics` on api
 * (eventFlowApi.ts). Events keep Tributary's status names (PROCESSED, FAILED,
 * DEAD_LETTER, QUEUED).
 */

export const eventFlowTag = 'EventFlow';

/** What `POST /events` answers for an event the core took. */
export function createdAnswer(taken: TakenEvent): { status: number; body: object } {
  if (taken.kind === 'conflict') throw idempotencyConflict();
  const message =
    taken.kind === 'accepted'
      ? 'Event received and queued for processing'
      : 'Event already received with this Idempotency-Key';
  return {
    status: taken.kind === 'accepted' ? 201 : 200,
    body: { success: true, eventId: taken.eventId, message },
  };
}

export const eventFlowIngestRoutes: Route<IngestDeps>[] = [
  {
    method: 'POST',
    path: '/events',
    role: 'apiKey',
    tag: eventFlowTag,
    summary: 'Send one event (eventType, payload, metadata)',
    description: "EventFlow's ingestion route. An Idempotency-Key header makes a retry safe.",
    takesIdempotencyKey: true,
    body: eventInputSchema,
    responses: {
      201: {
        description: 'Queued.',
        schema: z.object({ success: z.literal(true), eventId: z.string(), message: z.string() }),
      },
      200: { description: 'A repeat of an Idempotency-Key: the original event.' },
      400: { description: 'A field is wrong; `error.fields` names it.' },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async (context, deps) => {
      const call = admit(context, deps);
      const taken = await takeEvent(call, call.req.body, deps, {
        idempotencyKey: idempotencyKeyOf(call.req),
      });
      const { status, body } = createdAnswer(taken);
      call.res.status(status).json(body);
    },
  },
];
