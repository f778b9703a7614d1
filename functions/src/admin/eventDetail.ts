import { HttpError } from '../lib/http.ts';
import type { EventBody } from '../metrics/warehouseMetrics.ts';
import type { EventRecord } from '../process/eventRecord.ts';
import { WarehouseUnavailableError } from '../warehouse/warehouse.ts';
import type { DeliveryRecord } from '../webhooks/delivery.ts';
import type { ApiDeps } from './apiDeps.ts';

/** One event as operators look it up: its status record, its body and its deliveries. */
export type EventDetail = {
  record: EventRecord;
  /** Null while a processed event is not yet in the warehouse (it loads every minute). */
  body: EventBody | null;
  deliveries: DeliveryRecord[];
};

/** What looking an event up reads: its status, its body, its deliveries. */
export type EventDetailDeps = Pick<ApiDeps, 'events' | 'eventBodies' | 'webhooks'>;

/**
 * An event's status, body and webhook deliveries, or undefined when no status is
 * recorded. The body is in the record while the event is unprocessed and in the
 * warehouse once it is processed and loaded; the warehouse is read within the event's
 * UTC day, so BigQuery reads one partition.
 */
export async function findEvent(
  eventId: string,
  deps: EventDetailDeps,
): Promise<EventDetail | undefined> {
  const stored = await deps.events.get(eventId);
  if (!stored) return undefined;
  const { record } = stored;
  const [body, deliveries] = await Promise.all([
    bodyOf(record, deps),
    deps.webhooks.deliveries.listForEvent(record.eventId),
  ]);
  return { record, body, deliveries };
}

async function bodyOf(
  record: EventRecord,
  deps: Pick<ApiDeps, 'eventBodies'>,
): Promise<EventBody | null> {
  const kept = record.envelope ? envelopeBody(record.envelope) : undefined;
  if (kept !== undefined) return kept;
  if (record.status !== 'PROCESSED') return null;
  const day = record.occurredAt?.toISOString().slice(0, 10) ?? null;
  try {
    return (await deps.eventBodies.eventBody(record.eventId, day)) ?? null;
  } catch (error) {
    if (error instanceof WarehouseUnavailableError) {
      throw new HttpError(503, 'unavailable', 'The warehouse is unavailable; retry shortly.', {
        headers: { 'Retry-After': '5' },
      });
    }
    throw error;
  }
}

/** The body in a record's envelope; a message kept raw because it never parsed has none. */
function envelopeBody(envelope: string): EventBody | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(envelope);
  } catch {
    return null;
  }
  const { payload, metadata } = (parsed ?? {}) as { payload?: unknown; metadata?: unknown };
  if (!isObject(payload)) return null;
  return { payload, metadata: isObject(metadata) ? metadata : null };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
