import { z } from 'zod';
import { eventInputSchema } from '../ingest/eventInput.ts';
import type { IngestDeps } from '../ingest/ingestDeps.ts';
import { admit, takeEvent, type TakenEvent } from '../ingest/producerEvents.ts';
import { HttpError, sendErrorWithSuccessFlag } from '../lib/http.ts';
import { idempotencyKeyOf } from '../lib/idempotencyHeader.ts';
import type { Route } from '../lib/router.ts';

/**
 * The webhook event relay's API: `POST /api/v1/events` with `x-idempotency-key` on
 * ingest (here), `GET /api/v1/events/:eventId` with its delivery logs on api
 * (webhookRelayApi.ts). A key used before answers 409 with the original event, as the
 * relay did; the core still republishes a repeat of the same event, so a retry after a
 * lost answer loses nothing.
 */

export const webhookRelayTag = 'Webhook event relay';

/** What `POST /api/v1/events` answers for an event the core took. */
export function relayAnswer(
  taken: TakenEvent,
  idempotencyKey: string,
  processingTimeMs: number,
): { status: number; body: object } {
  if (taken.kind !== 'accepted') {
    return {
      status: 409,
      body: {
        success: false,
        message: 'Duplicate idempotency key',
        eventId: taken.eventId,
        idempotencyKey,
        error: {
          code: 'duplicate_idempotency_key',
          message:
            taken.kind === 'duplicate'
              ? 'This idempotency key was already used for this event.'
              : 'This idempotency key was already used with a different event.',
        },
      },
    };
  }
  return {
    status: 202,
    body: {
      success: true,
      message: 'Event accepted and queued for processing',
      eventId: taken.eventId,
      eventType: taken.eventType,
      idempotencyKey,
      receivedAt: taken.receivedAt,
      processingTimeMs,
    },
  };
}

export const webhookRelayIngestRoutes: Route<IngestDeps>[] = [
  {
    method: 'POST',
    path: '/api/v1/events',
    role: 'apiKey',
    tag: webhookRelayTag,
    summary: 'Send one event with its x-idempotency-key (required)',
    takesIdempotencyKey: true,
    body: eventInputSchema,
    responses: {
      202: {
        description: 'Accepted and queued.',
        schema: z.object({
          success: z.literal(true),
          message: z.string(),
          eventId: z.string(),
          eventType: z.string(),
          idempotencyKey: z.string(),
          receivedAt: z.string(),
          processingTimeMs: z.number(),
        }),
      },
      400: { description: 'No x-idempotency-key, or a field is wrong.' },
      409: { description: 'The key was used before: `eventId` is the original event.' },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async (context, deps) => {
      const started = performance.now();
      const call = admit(context, deps);
      const idempotencyKey = idempotencyKeyOf(call.req);
      if (idempotencyKey === undefined) {
        throw new HttpError(400, 'missing_idempotency_key', 'Send an x-idempotency-key header.', {
          fields: [{ field: 'x-idempotency-key', message: 'required' }],
        });
      }
      const taken = await takeEvent(call, call.req.body, deps, { idempotencyKey });
      const elapsed = Math.round(performance.now() - started);
      const { status, body } = relayAnswer(taken, idempotencyKey, elapsed);
      call.res.status(status).json(body);
    },
  },
];
