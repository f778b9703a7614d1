import type { z } from 'zod';
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeProcessedEvent,
  eventEnvelopeSchema,
  isEventId,
  processedEventSchema,
  type DecodedEnvelope,
  type EventEnvelope,
  type ProcessedEvent,
} from './eventEnvelope.ts';
import {
  publishAll,
  type OutgoingMessage,
  type PublishSettlement,
  type Publisher,
} from './publisher.ts';

/**
 * Many events in one Pub/Sub message. A call that brings many events (a batch, a CSV
 * upload, a page of Workspace activities) publishes them as few messages, each
 * `{"events":[…]}` with an `events` attribute giving their count; a single event stays
 * the message of its own it always was. Readers take both.
 */

/** The attribute that marks a message of many events, and says how many. */
export const eventCountAttribute = 'events';

export type MessageLimits = { maxEvents: number; maxBytes: number };

/**
 * Groups items, in order, so that no group holds more than `maxEvents` items or, once it
 * holds one, more than `maxBytes` of them. An item larger than `maxBytes` goes alone.
 */
export function packByLimits<T>(
  items: readonly T[],
  bytesOf: (item: T) => number,
  limits: MessageLimits,
): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (group.length > 0 && (group.length >= limits.maxEvents || bytes + size > limits.maxBytes)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(item);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** One outgoing message and the events it carries, in the order given. */
export type PackedMessage<T> = { message: OutgoingMessage; events: T[] };

/**
 * Publishes packed messages and answers one settlement per event, in the order the
 * events were packed: each event's is its message's.
 */
export async function publishPacked<T>(
  publisher: Publisher,
  topic: string,
  messages: readonly PackedMessage<T>[],
): Promise<PublishSettlement[]> {
  const settlements = await publishAll(
    publisher,
    topic,
    messages.map((p) => p.message),
  );
  return messages.flatMap(({ events }, m) => events.map(() => settlements[m]!));
}

/** Accepted events as the messages to publish on `events`. */
export function envelopeMessages(
  envelopes: readonly EventEnvelope[],
  limits: MessageLimits,
): PackedMessage<EventEnvelope>[] {
  return packed(envelopes, limits, encodeEnvelope);
}

/** Processed events as the messages to publish on `events-processed`. */
export function processedMessages(
  events: readonly ProcessedEvent[],
  limits: MessageLimits,
): PackedMessage<ProcessedEvent>[] {
  return packed(events, limits, encodeProcessedEvent);
}

function packed<T extends { eventId: string }>(
  events: readonly T[],
  limits: MessageLimits,
  encodeOne: (event: T) => OutgoingMessage,
): PackedMessage<T>[] {
  const texts = new Map<T, string>(events.map((event) => [event, JSON.stringify(event)]));
  // Each event's text is measured once and joined as is: nothing is serialised twice.
  const groups = packByLimits(events, (event) => Buffer.byteLength(texts.get(event)!) + 1, limits);
  return groups.map((group) =>
    group.length === 1
      ? { message: encodeOne(group[0]!), events: group }
      : {
          message: {
            data: Buffer.from(`{"events":[${group.map((event) => texts.get(event)).join(',')}]}`),
            attributes: { [eventCountAttribute]: String(group.length) },
          },
          events: group,
        },
  );
}

/** Every event of a message on `events`, each decoded on its own. */
export function decodeEventMessage(
  data: Buffer,
  attributes: Record<string, string> | undefined,
): (DecodedEnvelope & { text?: string })[] {
  if (attributes?.[eventCountAttribute] === undefined) return [decodeEnvelope(data, attributes)];
  return decodeItems(data, true, eventEnvelopeSchema, 'envelope').map((item) =>
    item.ok ? { ok: true, envelope: item.value } : item,
  );
}

export type DecodedProcessed =
  | { ok: true; event: ProcessedEvent }
  | { ok: false; eventId: string | undefined; reason: string; text?: string };

/** Every event of a message on `events-processed`, each decoded on its own. */
export function decodeProcessedMessage(
  data: Buffer,
  attributes: Record<string, string> | undefined,
): DecodedProcessed[] {
  const batch = attributes?.[eventCountAttribute] !== undefined;
  return decodeItems(data, batch, processedEventSchema, 'processed event', attributes?.eventId).map(
    (item) => (item.ok ? { ok: true, event: item.value } : item),
  );
}

/** How many events a message says it carries, before it is read. */
export function eventCount(attributes: Record<string, string> | undefined): number {
  const count = Number(attributes?.[eventCountAttribute] ?? 1);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

type DecodedItem<T> =
  | { ok: true; value: T }
  /** `text`: the event as sent, when the message held it among others. */
  | { ok: false; eventId: string | undefined; reason: string; text?: string };

/** The message's events: `{"events":[…]}` when `batch`, else the data is one event. */
function decodeItems<T>(
  data: Buffer,
  batch: boolean,
  schema: z.ZodType<T>,
  what: string,
  attributedId?: string,
): DecodedItem<T>[] {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return [{ ok: false, eventId: attributedId, reason: 'message data is not JSON' }];
  }
  const events = batch ? (json as { events?: unknown } | null)?.events : [json];
  if (!Array.isArray(events) || events.length === 0) {
    return [{ ok: false, eventId: attributedId, reason: 'message data holds no events array' }];
  }
  return events.map((item: unknown, index): DecodedItem<T> => {
    const parsed = schema.safeParse(item);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    const id = (item as { eventId?: unknown } | null)?.eventId;
    return {
      ok: false,
      eventId: batch ? (isEventId(id) ? id : undefined) : attributedId,
      reason: `invalid ${what}${batch ? ` ${index}` : ''}: ${field}: ${issue?.message ?? 'invalid'}`,
      ...(batch ? { text: JSON.stringify(item) ?? String(item) } : {}),
    };
  });
}
