import type { ApiDeps } from '../admin/apiDeps.ts';
import { defaults } from '../lib/defaults.ts';
import { processedEventSchema } from '../lib/eventEnvelope.ts';
import { HttpError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import { topics } from '../../../infra/spec.ts';
import type { WebhookAdminDeps } from './adminDeps.ts';
import { isReplayable, replayedRecord, type DeliveryRecord } from './delivery.ts';
import { encodeDeliveryMessage } from './deliveryMessage.ts';
import type { StoredDelivery } from './deliveryStore.ts';
import { iso, type WebhookEndpoint } from './endpoint.ts';
import { endpointNotFound, findEndpoint, knownId, parseBody } from './endpointRoutes.ts';
import { replayWindowSchema } from './endpoint.ts';

/** Replaying webhook deliveries: one, or every failed one of an endpoint in a time window. */
export const deliveryRoutes: Route<ApiDeps>[] = [
  {
    method: 'POST',
    path: '/v1/events/:eventId/deliveries/:endpointId/replay',
    role: 'admin',
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

/** A delivery and its attempts, for operators. */
export function presentDelivery(record: DeliveryRecord): Record<string, unknown> {
  return {
    endpointId: record.endpointId,
    status: record.status,
    attemptCount: record.attemptCount,
    createdAt: iso(record.createdAt),
    deliveredAt: iso(record.deliveredAt),
    failedAt: iso(record.failedAt),
    exhaustedAt: iso(record.exhaustedAt),
    lastError: record.lastError,
    attempts: record.attempts.map((attempt) => ({ ...attempt, at: iso(attempt.at) })),
  };
}
