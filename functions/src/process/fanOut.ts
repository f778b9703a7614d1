import { topics } from '../../../infra/spec.ts';
import { describe } from '../lib/errors.ts';
import { encodeProcessedEvent, type EventEnvelope } from '../lib/eventEnvelope.ts';
import type { Publisher } from '../lib/publisher.ts';
import { encodeDeliveryMessage } from '../webhooks/deliveryMessage.ts';
import type { WebhookRouter } from '../webhooks/endpointIndex.ts';
import type { FanOutResult } from './eventStatus.ts';

export type FanOutDeps = {
  publisher: Publisher;
  /** Which webhook endpoints want an event type (cached: no read per event). */
  webhooks: WebhookRouter;
};

/**
 * Publishes the processed event, and one delivery per matching webhook endpoint. Safe
 * to repeat: the warehouse keeps one row per event id and a delivery already delivered
 * is not sent again. Never rejects: the result says how it ended.
 */
export async function publishFanOut(
  envelope: EventEnvelope,
  processedAt: Date,
  deps: FanOutDeps,
): Promise<FanOutResult> {
  let endpointIds: string[];
  try {
    endpointIds = await deps.webhooks.matching(envelope.eventType, envelope.producer);
  } catch (error) {
    return { kind: 'failed', error: { code: 'webhook_lookup_failed', message: describe(error) } };
  }
  const event = { ...envelope, processedAt: processedAt.toISOString() };
  const processed = deps.publisher.publish(
    topics.eventsProcessed.name,
    encodeProcessedEvent(event),
  );
  try {
    if (endpointIds.length === 0) await processed;
    else
      await Promise.all([
        processed,
        ...endpointIds.map((endpointId) =>
          deps.publisher.publish(
            topics.deliveries.name,
            encodeDeliveryMessage({ endpointId, event }),
          ),
        ),
      ]);
    return { kind: 'published' };
  } catch (error) {
    return { kind: 'failed', error: { code: 'publish_failed', message: describe(error) } };
  }
}
