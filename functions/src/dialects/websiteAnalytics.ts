import { z } from 'zod';
import type { ApiDeps } from '../admin/apiDeps.ts';
import type { IngestDeps } from '../ingest/ingestDeps.ts';
import {
  admit,
  idempotencyConflict,
  takeEvent,
  type TakenEvent,
} from '../ingest/producerEvents.ts';
import { HttpError, renameFields, sendErrorWithSuccessFlag, type FieldError } from '../lib/http.ts';
import { idempotencyKeyOf } from '../lib/idempotencyHeader.ts';
import type { Route } from '../lib/router.ts';
import type { SiteDayStats, SiteTotals } from '../metrics/dailyMetrics.ts';
import { parseStatsQuery } from '../metrics/metricsQuery.ts';
import { invalidQuery, unlessUnavailable } from '../metrics/metricsRoutes.ts';
import { translateQuery } from './dialectQuery.ts';

/**
 * The website analytics backend's API: `POST /event` with snake_case fields on ingest,
 * `GET /stats?site_id=&date=` on api. Its `page_view` counts as a view like ours.
 */

const tag = 'Website analytics backend';

/** Its fields and ours: the names errors are given back in. */
const fieldNames = {
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

/** Its statistics shape, from a day's figures or from every day's (`date: null`). */
export function presentStats(stats: SiteDayStats | SiteTotals): Record<string, unknown> {
  return {
    site_id: stats.siteId,
    date: 'date' in stats ? stats.date : null,
    total_views: stats.totalViews,
    unique_users: stats.uniqueUsers,
    top_paths: stats.topPaths.map(({ path, views }) => ({ path, views })),
  };
}

const trackedEventSchema = z.object({
  site_id: z.string().describe('Required.'),
  event_type: z.string().describe('Required; `page_view` counts as a page view.'),
  path: z.string().optional(),
  user_id: z.string().optional(),
  timestamp: z.string().optional().describe('ISO 8601 with an offset, such as Z.'),
});

const statsSchema = z.object({
  site_id: z.string(),
  date: z.string().nullable(),
  total_views: z.number().int(),
  unique_users: z.number().int(),
  top_paths: z.array(z.object({ path: z.string(), views: z.number().int() })),
});

export const websiteAnalyticsIngestRoutes: Route<IngestDeps>[] = [
  {
    method: 'POST',
    path: '/event',
    role: 'apiKey',
    tag,
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

export const websiteAnalyticsApiRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/stats',
    role: 'admin',
    tag,
    summary: "A site's views, unique users and top paths, for one UTC day or every day",
    query: z.object({
      site_id: z.string().describe('Required.'),
      date: z.string().optional().describe('YYYY-MM-DD (UTC); without it, every day.'),
    }),
    responses: { 200: { description: 'The statistics.', schema: statsSchema } },
    sendError: sendErrorWithSuccessFlag,
    handle: async ({ req, res }, deps) => {
      const { query, errors } = translateQuery(req.query, { site_id: 'siteId', date: 'date' });
      const today = deps.metrics.today();
      const parsed = parseStatsQuery(query, today);
      const problems = [...errors, ...(parsed.ok ? [] : renameFields(parsed.errors, fieldNames))];
      if (problems.length > 0 || !parsed.ok) throw invalidQuery(problems);
      const { siteId, date } = parsed.value;
      const stats =
        query.date === undefined
          ? await unlessUnavailable(deps.metrics.siteTotals(siteId, undefined))
          : await unlessUnavailable(deps.metrics.siteStats({ siteId, date }));
      res.status(200).json(presentStats(stats));
    },
  },
];
