import { z } from 'zod';
import { eventTypePattern } from '../lib/eventEnvelope.ts';
import { HttpError } from '../lib/http.ts';
import type { EventStatus } from '../process/eventRecord.ts';

/**
 * Which failed events an operator means. Every query filters on `status` and orders by
 * `failedAt`, fields that only events which failed carry, so the indexes behind these
 * queries hold failed events only (see firestore.indexes.json).
 */
export type FailedEventFilter = {
  statuses: EventStatus[];
  eventType?: string;
  /** On `failedAt` (the latest failure): from inclusive, to exclusive. */
  from?: Date;
  to?: Date;
};

/** Where the next page starts: the last item's `failedAt` and id. */
export type Cursor = { failedAt: Date; eventId: string };

const failedStatuses = ['FAILED', 'DEAD_LETTER', 'QUEUED', 'QUARANTINED', 'PROCESSED'] as const;
export const defaultListStatuses: EventStatus[] = ['FAILED', 'DEAD_LETTER', 'QUEUED'];
/** What a bulk replay may pick: events that are neither processed nor already queued. */
export const replayableStatuses: EventStatus[] = ['FAILED', 'DEAD_LETTER'];

const statusList = (allowed: readonly EventStatus[]) =>
  z
    .string()
    .transform((value) => value.split(',').map((s) => s.trim().toUpperCase()))
    .pipe(
      z
        .array(z.enum(allowed as [EventStatus, ...EventStatus[]]))
        .min(1)
        .max(allowed.length),
    )
    .describe(`Comma-separated: ${allowed.join(', ')}.`);

const isoDate = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
  .transform((value) => new Date(value));

const filterFields = {
  type: z
    .string()
    .max(100)
    .regex(eventTypePattern, 'must be an event type, like page.viewed')
    .optional()
    .describe('Only events of this type.'),
  from: isoDate.optional().describe('Failed at or after this time (ISO 8601).'),
  to: isoDate.optional().describe('Failed before this time (ISO 8601).'),
};

/** `GET /v1/admin/events/failed` query string. */
export const failedListQuerySchema = z.strictObject({
  status: statusList(failedStatuses).optional(),
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, 1–100.'),
  cursor: z.string().max(500).optional().describe('`nextCursor` of the previous page.'),
});

/** `GET /v1/admin/dead-letters` query string. */
export const deadLetterQuerySchema = failedListQuerySchema.omit({ status: true });

/** The filter of a bulk replay, as JSON. */
export const replayFilterSchema = z.strictObject({
  status: z
    .array(z.enum(replayableStatuses as ['FAILED', 'DEAD_LETTER']))
    .min(1)
    .optional()
    .describe('Default: both FAILED and DEAD_LETTER.'),
  type: filterFields.type,
  from: filterFields.from,
  to: filterFields.to,
});

export type ReplayFilterInput = z.infer<typeof replayFilterSchema>;

export function toFilter(
  input: { status?: EventStatus[]; type?: string; from?: Date; to?: Date },
  defaults: EventStatus[],
): FailedEventFilter {
  if (input.from && input.to && input.from >= input.to) {
    throw new HttpError(400, 'invalid_query', 'The time range is empty.', {
      fields: [{ field: 'to', message: 'must be after from' }],
    });
  }
  return {
    statuses: [...new Set(input.status ?? defaults)],
    ...(input.type ? { eventType: input.type } : {}),
    ...(input.from ? { from: input.from } : {}),
    ...(input.to ? { to: input.to } : {}),
  };
}

/** Cursors are opaque to clients: base64url of the position, never to be built by hand. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.failedAt.getTime(), cursor.eventId])).toString(
    'base64url',
  );
}

export function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length > 0 &&
      value[1].length <= 200
    ) {
      return { failedAt: new Date(value[0]), eventId: value[1] };
    }
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid_cursor', 'The cursor is not one this API returned.', {
    fields: [{ field: 'cursor', message: 'is not a cursor returned by this API' }],
  });
}

/** Filters serialized for the progress record and for responses. */
export function describeFilter(filter: FailedEventFilter): Record<string, unknown> {
  return {
    status: filter.statuses,
    type: filter.eventType ?? null,
    from: filter.from?.toISOString() ?? null,
    to: filter.to?.toISOString() ?? null,
  };
}
