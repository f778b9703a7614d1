import { topics } from '../../../infra/spec.ts';
import { describe } from '../lib/errors.ts';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import { eventMessages, publishPacked, type MessageLimits } from '../lib/eventMessages.ts';
import { publishAll, type Publisher } from '../lib/publisher.ts';
import { encodeDeliveryMessage } from '../webhooks/deliveryMessage.ts';
import type { WebhookRouter } from '../webhooks/endpointIndex.ts';
import type { FanOutResult } from './eventStatus.ts';

export type FanOutDeps = {
  publisher: Publisher;
  /** Which webhook endpoints want an event type (cached: no read per event). */
  webhooks: WebhookRouter;
  /** How many processed events, and bytes, one `events-processed` message holds. */
  messageLimits: MessageLimits;
};

/**
 * The fan-out of a message's events: the processed events packed into as few
 * `events-processed` messages as the limits allow, and one delivery per event and
 * matching endpoint. One result per event, in order: an event's fan-out is published
 * when its processed message and each of its deliveries were. Safe to repeat: the
 * warehouse keeps one row per event id and a delivery already delivered is not sent
 * again. Never rejects: the results say how it ended.
 */
export async function publishFanOut(
  envelopes: readonly EventEnvelope[],
  processedAt: Date,
  deps: FanOutDeps,
): Promise<FanOutResult[]> {
  let endpoints: string[][];
  try {
    endpoints = await Promise.all(
      envelopes.map((envelope) => deps.webhooks.matching(envelope.eventType, envelope.producer)),
    );
  } catch (error) {
    const failed: FanOutResult = {
      kind: 'failed',
      error: { code: 'webhook_lookup_failed', message: describe(error) },
    };
    return envelopes.map(() => failed);
  }
  const at = processedAt.toISOString();
  const events = envelopes.map((envelope) => ({ ...envelope, processedAt: at }));
  const packed = eventMessages(events, deps.messageLimits);
  const deliveries = events.flatMap((event, index) =>
    endpoints[index]!.map((endpointId) => ({ index, endpointId, event })),
  );
  const [processedSettlements, deliverySettlements] = await Promise.all([
    publishPacked(deps.publisher, topics.eventsProcessed.name, packed),
    publishAll(
      deps.publisher,
      topics.deliveries.name,
      deliveries.map(({ endpointId, event }) => encodeDeliveryMessage({ endpointId, event })),
    ),
  ]);
  const failures = new Map<number, unknown>();
  processedSettlements.forEach((settlement, index) => {
    if (!settlement.ok) failures.set(index, settlement.error);
  });
  deliveries.forEach(({ index }, deliveryIndex) => {
    const settlement = deliverySettlements[deliveryIndex]!;
    if (!settlement.ok && !failures.has(index)) failures.set(index, settlement.error);
  });
  return envelopes.map((_, index): FanOutResult => {
    if (!failures.has(index)) return { kind: 'published' };
    return {
      kind: 'failed',
      error: { code: 'publish_failed', message: describe(failures.get(index)) },
    };
  });
}
