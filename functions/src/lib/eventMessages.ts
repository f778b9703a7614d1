import type { z } from 'zod';
import {
  eventEnvelopeSchema,
  isEventId,
  processedEventSchema,
  type EventEnvelope,
  type ProcessedEvent,
} from './eventEnvelope.ts';
import { readLegacyMessage } from './legacyEventMessage.ts';
import {
  publishAll,
  type OutgoingMessage,
  type PublishSettlement,
  type Publisher,
} from './publisher.ts';

/**
 * The one message format of `events` and `events-processed`: `{"events":[…]}` with an
 * `events` attribute giving their count. A single event is a message of one; a call that
 * brings many (a batch, a CSV upload, a page of Workspace activities) and single calls
 * that reach one instance together share messages, bounded by `MessageLimits`.
 */

/** The attribute that carries how many events a message holds. */
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

/**
 * The message holding events already serialised, joined as they are: nothing is
 * serialised twice. `attributes` are the message's own (a replay round), beside the count.
 */
export function messageOfTexts(
  texts: readonly string[],
  attributes: Readonly<Record<string, string>> = {},
): OutgoingMessage {
  return {
    data: Buffer.from(`{"events":[${texts.join(',')}]}`),
    attributes: { ...attributes, [eventCountAttribute]: String(texts.length) },
  };
}

/** Bytes an event's text adds to a message (its separator included). */
export function textBytes(text: string): number {
  return Buffer.byteLength(text) + 1;
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

/** Events as the messages to publish on `events` or `events-processed`, packed by the limits. */
export function eventMessages<T extends EventEnvelope>(
  events: readonly T[],
  limits: MessageLimits,
): PackedMessage<T>[] {
  const texts = new Map<T, string>(events.map((event) => [event, JSON.stringify(event)]));
  return packByLimits(events, (event) => textBytes(texts.get(event)!), limits).map((group) => ({
    message: messageOfTexts(group.map((event) => texts.get(event)!)),
    events: group,
  }));
}

/** One event as a message of its own. */
export function eventMessage(event: EventEnvelope | ProcessedEvent): OutgoingMessage {
  return messageOfTexts([JSON.stringify(event)]);
}

/** An event of a message, decoded on its own; `text` is the event as sent when it is invalid. */
export type DecodedItem<T> =
  { ok: true; value: T } | { ok: false; eventId: string | undefined; reason: string; text: string };

/** Every event of a message on `events`, each decoded on its own. */
export function decodeEventMessage(
  data: Buffer,
  attributes: Record<string, string> | undefined,
): DecodedItem<EventEnvelope>[] {
  return decodeMessage(data, attributes, eventEnvelopeSchema, 'envelope');
}

/** Every event of a message on `events-processed`, each decoded on its own. */
export function decodeProcessedMessage(
  data: Buffer,
  attributes: Record<string, string> | undefined,
): DecodedItem<ProcessedEvent>[] {
  return decodeMessage(data, attributes, processedEventSchema, 'processed event');
}

/** How many events a message says it carries, before it is read. */
export function eventCount(attributes: Record<string, string> | undefined): number {
  const count = Number(attributes?.[eventCountAttribute] ?? 1);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

function decodeMessage<T>(
  data: Buffer,
  attributes: Record<string, string> | undefined,
  schema: z.ZodType<T>,
  what: string,
): DecodedItem<T>[] {
  if (attributes?.[eventCountAttribute] === undefined) {
    const legacy = readLegacyMessage(data, attributes);
    if (!legacy.ok) return [legacy];
    const decoded = decodeItem(legacy.item, schema, `invalid ${what}`);
    return [decoded.ok ? decoded : { ...decoded, eventId: legacy.eventId, text: legacy.text }];
  }
  const text = data.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [{ ok: false, eventId: undefined, reason: 'message data is not JSON', text }];
  }
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    return [{ ok: false, eventId: undefined, reason: 'message data holds no events array', text }];
  }
  return events.map((item: unknown, index) => {
    const decoded = decodeItem(item, schema, `invalid ${what} ${index}`);
    if (decoded.ok) return decoded;
    const id = (item as { eventId?: unknown } | null)?.eventId;
    return { ...decoded, eventId: isEventId(id) ? id : undefined };
  });
}

/** One event checked against its schema; a refusal names the first field at fault. */
export function decodeItem<T>(item: unknown, schema: z.ZodType<T>, what: string): DecodedItem<T> {
  const parsed = schema.safeParse(item);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || '(root)';
  return {
    ok: false,
    eventId: undefined,
    reason: `${what}: ${field}: ${issue?.message ?? 'invalid'}`,
    text: JSON.stringify(item) ?? String(item),
  };
}
