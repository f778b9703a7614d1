import { z } from 'zod';
import type { IngestDeps } from '../ingest/ingestDeps.ts';
import {
  admit,
  idempotencyConflict,
  takeEvent,
  type TakenEvent,
} from '../ingest/producerEvents.ts';
import { HttpError, sendErrorWithSuccessFlag, type FieldError } from '../lib/http.ts';
import { idempotencyKeyOf } from '../lib/idempotencyHeader.ts';
import type { Route } from '../lib/router.ts';

/**
 * The website analytics backend's API: `POST /event` with snake_case fields on ingest
 * (here), `GET /stats?site_id=&date=` on api (websiteAnalyticsApi.ts). Its `page_view`
 * counts as a view like ours.
 */

export const websiteAnalyticsTag = 'Website analytics backend';

/** Its fields and ours: the names errors are given back in. */
export const fieldNames = {
  eventType: 'event_type',
  siteId: 'site_id',
  userId: 'user_id',
  occurredAt: 'timestamp',
  path: 'path',
} as const;
const sentFields = new Set<string>(Object.values(fieldNames));

/** `POST /event`'s body as the event API would have received it, or what is wrong. */
export function trackedEventToInput(
  body: unknown,
): { ok: true; raw: Record<string, unknown> } | { ok: false; errors: FieldError[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, errors: [{ field: '(root)', message: 'must be a JSON object' }] };
  const sent = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const unknown = Object.keys(sent).filter((name) => !sentFields.has(name));
  if (unknown.length > 0)
    errors.push({ field: '(root)', message: `unknown field(s): ${unknown.join(', ')}` });
  if (sent.site_id === undefined) errors.push({ field: 'site_id', message: 'required' });
  if (errors.length > 0) return { ok: false, errors };
  const raw: Record<string, unknown> = { payload: sent };
  for (const [ours, theirs] of Object.entries(fieldNames)) {
    if (sent[theirs] !== undefined) raw[ours] = sent[theirs];
  }
  return { ok: true, raw };
}

/** What `POST /event` answers for an event the core took. */
export function trackedEventAnswer(taken: TakenEvent): { status: number; body: object } {
  if (taken.kind === 'conflict') throw idempotencyConflict();
  return taken.kind === 'accepted'
    ? { status: 202, body: { success: true, eventId: taken.eventId } }
    : { status: 200, body: { success: true, eventId: taken.eventId, duplicate: true } };
}

const trackedEventSchema = z.object({
  site_id: z.string().describe('Required.'),
  event_type: z.string().describe('Required; `page_view` counts as a page view.'),
  path: z.string().optional(),
  user_id: z.string().optional(),
  timestamp: z.string().optional().describe('ISO 8601 with an offset, such as Z.'),
});

export const websiteAnalyticsIngestRoutes: Route<IngestDeps>[] = [
  {
    method: 'POST',
    path: '/event',
    role: 'apiKey',
    tag: websiteAnalyticsTag,
    summary: 'Send one analytics event (site_id, event_type, path, user_id, timestamp)',
    description:
      "The website analytics backend's ingestion route. The body is kept whole as the payload. An Idempotency-Key header makes a retry safe.",
    takesIdempotencyKey: true,
    body: trackedEventSchema,
    responses: {
      202: {
        description: 'Queued.',
        schema: z.object({ success: z.literal(true), eventId: z.string() }),
      },
      200: { description: 'A repeat of an Idempotency-Key: the original event.' },
      400: { description: 'A field is missing or wrong; `error.fields` names it.' },
    },
    sendError: sendErrorWithSuccessFlag,
    handle: async (context, deps) => {
      const call = admit(context, deps);
      const mapped = trackedEventToInput(call.req.body);
      if (!mapped.ok)
        throw new HttpError(400, 'invalid_event', 'The event is invalid.', {
          fields: mapped.errors,
        });
      const taken = await takeEvent(call, mapped.raw, deps, {
        idempotencyKey: idempotencyKeyOf(call.req),
        fieldNames,
      });
      const { status, body } = trackedEventAnswer(taken);
      call.res.status(status).json(body);
    },
  },
];
