import { z } from 'zod';

/**
 * Lowercase segments separated by dots: `page_view`, `page.viewed`,
 * `workspace.login.login_success`.
 */
export const eventTypePattern = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/** The message every refusal of an event type gives. */
export const eventTypeRule =
  'must be lowercase segments separated by dots, like page.viewed or page_view';

const jsonObject = z.record(z.string(), z.unknown());

/**
 * An accepted event as it travels on the `events` topic. Every publisher (the ingest
 * API, CSV uploads, the Workspace poller) writes this shape; the processor checks it
 * again, since anyone with publish rights on the topic could send something else.
 */
export const eventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  eventType: z.string().min(1).max(100).regex(eventTypePattern),
  payload: jsonObject,
  occurredAt: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
  source: z.string().min(1).max(100),
  producer: z.string().min(1).max(200),
  metadata: jsonObject.optional(),
  siteId: z.string().max(200).optional(),
  userId: z.string().max(200).optional(),
  path: z.string().max(2048).optional(),
  /** The producer's idempotency key, when it sent one: shown with the event's status. */
  idempotencyKey: z.string().min(1).max(255).optional(),
});

export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

// Built once: constructing a zod schema costs more than using it.
const eventIdSchema = z.uuid();

/** Whether a value can be an event id (a UUID). */
export function isEventId(value: unknown): value is string {
  return typeof value === 'string' && eventIdSchema.safeParse(value).success;
}

/** An envelope kept as text (a failed event's record), if it still reads as one. */
export function parseEnvelope(text: string): EventEnvelope | undefined {
  try {
    const parsed = eventEnvelopeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What `processEvent` publishes to `events-processed`: the event and when it was processed. */
export type ProcessedEvent = EventEnvelope & { processedAt: string };

export const processedEventSchema = eventEnvelopeSchema.extend({
  processedAt: z.iso.datetime({ offset: true }),
});
