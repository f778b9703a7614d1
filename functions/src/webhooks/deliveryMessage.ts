import { z } from 'zod';
import { processedEventSchema, type ProcessedEvent } from '../lib/eventEnvelope.ts';
import type { OutgoingMessage } from '../lib/publisher.ts';

/** What `processEvent` publishes to `deliveries`, one per matching endpoint. */
export type DeliveryMessage = { endpointId: string; event: ProcessedEvent };

const deliveryMessageSchema = z.object({
  endpointId: z.string().min(1).max(100),
  event: processedEventSchema,
});

export function encodeDeliveryMessage(message: DeliveryMessage): OutgoingMessage {
  return {
    data: Buffer.from(JSON.stringify(message)),
    attributes: {
      eventId: message.event.eventId,
      endpointId: message.endpointId,
      eventType: message.event.eventType,
    },
  };
}

export type DecodedDelivery =
  { ok: true; message: DeliveryMessage } | { ok: false; reason: string };

export function decodeDeliveryMessage(data: Buffer): DecodedDelivery {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'message data is not JSON' };
  }
  const parsed = deliveryMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `invalid delivery: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  return { ok: true, message: parsed.data };
}

/**
 * The body receivers get, in the Standard Webhooks shape: `type`, `timestamp` (when
 * the event occurred) and `data` (the event).
 */
export function webhookBody(event: ProcessedEvent): string {
  const { producer: _producer, ...data } = event;
  return JSON.stringify({ type: event.eventType, timestamp: event.occurredAt, data });
}
