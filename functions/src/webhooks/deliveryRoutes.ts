import { defaults } from '../lib/defaults.ts';
import { processedEventSchema } from '../lib/eventEnvelope.ts';
import { HttpError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import { topics } from '../../../infra/spec.ts';
import type { WebhookAdminDeps, WebhookRouteDeps } from './adminDeps.ts';
import { deliveryStatuses, isReplayable, replayedRecord, type DeliveryRecord } from './delivery.ts';
import { encodeDeliveryMessage } from './deliveryMessage.ts';
import type { DeliverySummary, StoredDelivery } from './deliveryStore.ts';
import { iso, type WebhookEndpoint } from './endpoint.ts';
import { endpointNotFound, findEndpoint, knownId, parseBody } from './endpointRoutes.ts';
import { replayWindowSchema } from './endpoint.ts';
import { parseQuery } from '../lib/requestInput.ts';
import { z } from 'zod';

const tag = 'Webhooks';

/** How many more recent deliveries are read than listed, to find the newest within an hour. */
const recentReadFactor = 4;

const recentQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(25)
    .describe('Deliveries in each list, 1–100.'),
});

/** Where a delivery stands, as every answer that shows one gives it. */
export const deliveryStateSchema = z.object({
  endpointId: z.string(),
  status: z.enum(deliveryStatuses),
  attemptCount: z.number().int(),
  createdAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  failedAt: z.string().nullable(),
  exhaustedAt: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
});

const deliverySummarySchema = deliveryStateSchema.extend({
  eventId: z.string(),
  eventType: z.string(),
});

/**
 * An endpoint's recent deliveries and failures, and replaying deliveries: one, or every
 * failed one of an endpoint in a time window.
 */
export const deliveryRoutes: Route<WebhookRouteDeps>[] = [
  {
    method: 'GET',
    path: '/v1/webhook-endpoints/:endpointId/deliveries',
    role: 'admin',
    tag,
    summary: "An endpoint's recent deliveries and its latest failures (without attempt logs)",
    description:
      '`recent`: the newest deliveries of the latest hours, whatever their status, newest first. Deliveries are indexed by the hour they were created in (an index on their exact time would take every write at one end), so up to four times `limit` (at most 200) of the latest hours are read and the newest kept; `recentSampled` says when the latest hour may hold more. `failures`: undelivered deliveries, newest first failure first, exactly. Each attempt of a delivery is in GET /v1/events/{eventId}.',
    query: recentQuerySchema,
    responses: {
      200: {
        description: 'The two lists.',
        schema: z.object({
          endpointId: z.string(),
          recent: z.array(deliverySummarySchema),
          recentSampled: z
            .boolean()
            .describe(
              'True when the latest hour may hold more deliveries than were read: `recent` is then the newest of those read.',
            ),
          failures: z.array(deliverySummarySchema),
        }),
      },
      404: { description: 'No such endpoint.' },
    },
    handle: async ({ req, res, params }, { webhooks }) => {
      const { limit } = parseQuery(req, recentQuerySchema);
      const endpoint = await findEndpoint(webhooks, params.endpointId);
      // Within an hour the index is in event id order: read more than asked and sort.
      const read = Math.min(limit * recentReadFactor, defaults.webhookMaxRecentRead);
      const [recent, failures] = await Promise.all([
        webhooks.deliveries.listRecent(endpoint.id, read),
        webhooks.deliveries.listRecentFailures(endpoint.id, limit),
      ]);
      recent.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      res.status(200).json({
        endpointId: endpoint.id,
        recent: recent.slice(0, limit).map(presentDeliverySummary),
        recentSampled: recent.length === read,
        failures: failures.map(presentDeliverySummary),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/events/:eventId/deliveries/:endpointId/replay',
    role: 'admin',
    tag,
    summary: "Send one event's delivery to one endpoint again (any status but delivered)",
    handle: async ({ res, params, log }, { webhooks }) => {
      const eventId = params.eventId ?? '';
      const endpointId = knownId(params.endpointId);
      const stored = /^[A-Za-z0-9_-]{1,128}$/.test(eventId)
        ? await webhooks.deliveries.get(eventId, endpointId)
        : undefined;
      if (!stored)
        throw new HttpError(404, 'not_found', 'No delivery of this event to this endpoint.');
      if (!isReplayable(stored.record.status)) {
        throw new HttpError(409, 'already_delivered', 'This delivery was already delivered.');
      }
      const endpoint = await webhooks.endpoints.get(endpointId);
      if (!endpoint) throw endpointNotFound();
      requireEnabled(endpoint);
      const replayed = await replay(stored, webhooks);
      if (!replayed) {
        throw new HttpError(409, 'conflict', 'The delivery changed meanwhile; look at it again.');
      }
      log.info({ eventId, endpointId }, 'webhook delivery replayed');
      res.status(202).json({ replayed: 1 });
    },
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/:endpointId/replay',
    role: 'admin',
    tag,
    summary: 'Send again every undelivered delivery of an endpoint that first failed in [from, to)',
    body: replayWindowSchema,
    handle: async ({ req, res, params, log }, { webhooks }) => {
      const input = parseBody(req, replayWindowSchema);
      const endpoint = await findEndpoint(webhooks, params.endpointId);
      requireEnabled(endpoint);
      const limit = defaults.webhookMaxReplayDeliveries;
      const failed = await webhooks.deliveries.listFailed(
        endpoint.id,
        new Date(input.from),
        new Date(input.to),
        limit,
      );
      const results = await Promise.all(failed.map((stored) => replay(stored, webhooks)));
      const replayed = results.filter(Boolean).length;
      log.info({ endpointId: endpoint.id, replayed }, 'webhook deliveries replayed');
      // A full page may have more behind it: replay again from the last one's time.
      res.status(202).json({
        replayed,
        more: failed.length === limit,
        ...(failed.length === limit
          ? { nextFrom: iso(failed.at(-1)?.record.failedAt ?? null) }
          : {}),
      });
    },
  },
];

function requireEnabled(endpoint: WebhookEndpoint): void {
  if (!endpoint.enabled) {
    throw new HttpError(
      409,
      'endpoint_disabled',
      'The endpoint is disabled; enable it (PATCH enabled: true) before replaying.',
    );
  }
}

/**
 * Marks the delivery pending, then publishes it again (in that order, so a fast
 * delivery cannot be overwritten by the mark). False if it changed meanwhile.
 */
async function replay(stored: StoredDelivery, webhooks: WebhookAdminDeps): Promise<boolean> {
  const { record } = stored;
  const event = processedEventSchema.safeParse(record.event ? JSON.parse(record.event) : undefined);
  if (!isReplayable(record.status) || !event.success) return false;
  if (
    (await webhooks.deliveries.put(replayedRecord(record, webhooks.now()), stored.version)) !==
    'written'
  ) {
    return false;
  }
  try {
    await webhooks.publisher.publish(
      topics.deliveries.name,
      encodeDeliveryMessage({ endpointId: record.endpointId, event: event.data }),
    );
  } catch {
    throw new HttpError(503, 'unavailable', 'The replay could not be queued; try again.', {
      headers: { 'Retry-After': String(defaults.retryAfterSeconds) },
    });
  }
  return true;
}

/** A delivery as listed, for operators. */
function presentDeliverySummary(record: DeliverySummary): z.infer<typeof deliverySummarySchema> {
  return {
    eventId: record.eventId,
    endpointId: record.endpointId,
    eventType: record.eventType,
    ...deliveryProgress(record),
  };
}

/** Where a delivery stands: the fields a list and a single delivery both show. */
function deliveryProgress(record: DeliverySummary) {
  return {
    status: record.status,
    attemptCount: record.attemptCount,
    createdAt: iso(record.createdAt),
    deliveredAt: iso(record.deliveredAt),
    failedAt: iso(record.failedAt),
    exhaustedAt: iso(record.exhaustedAt),
    lastError: record.lastError,
  };
}

/** A delivery and its attempts, for operators. */
export function presentDelivery(record: DeliveryRecord): Record<string, unknown> {
  return {
    endpointId: record.endpointId,
    ...deliveryProgress(record),
    attempts: record.attempts.map((attempt) => ({ ...attempt, at: iso(attempt.at) })),
  };
}
