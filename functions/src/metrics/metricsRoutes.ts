import { z } from 'zod';
import { HttpError } from '../lib/http.ts';
import type { FieldError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import { WarehouseUnavailableError } from '../warehouse/warehouse.ts';
import type { MetricsReader } from './metricsReader.ts';
import { parseMetricsQuery, parseSitesQuery, parseSiteStatsQuery } from './metricsQuery.ts';
import {
  metricsAnswerSchema,
  metricsQueryDocs,
  siteDayStatsSchema,
  siteRangeStatsSchema,
  sitesAnswerSchema,
  sitesQueryDocs,
  statsQueryDocs,
} from './metricsSchemas.ts';

const tag = 'Metrics';

/** What the metrics routes use, as part of the api function's deps. */
export type MetricsRouteDeps = { metrics: MetricsReader };

/** Daily metrics and site statistics, for operators. */
export const metricsRoutes: Route<MetricsRouteDeps>[] = [
  {
    method: 'GET',
    path: '/v1/metrics',
    role: 'admin',
    tag,
    summary: 'Event counts per UTC day and event type, over a day or a range',
    description:
      'Every day of the range is listed, days without events included; types most frequent first.',
    query: metricsQueryDocs,
    responses: { 200: { description: 'One entry per day.', schema: metricsAnswerSchema } },
    handle: async ({ req, res }, deps) => {
      const parsed = parseMetricsQuery(req.query, deps.metrics.today());
      if (!parsed.ok) throw invalidQuery(parsed.errors);
      res.status(200).json(await unlessUnavailable(deps.metrics.dailyMetrics(parsed.value)));
    },
  },
  {
    method: 'GET',
    path: '/v1/stats',
    role: 'admin',
    tag,
    summary: "A site's views, unique users and top paths, for one UTC day or a range of days",
    description:
      'With `date` (or nothing: today) the figures of that day. With `from` and `to`, the totals of the whole range (unique users counted over the span) and each day’s views and unique users.',
    query: statsQueryDocs,
    responses: {
      200: {
        description: 'The day, or the range with its days.',
        schema: z.union([siteDayStatsSchema, siteRangeStatsSchema]),
      },
    },
    handle: async ({ req, res }, deps) => {
      const parsed = parseSiteStatsQuery(req.query, deps.metrics.today());
      if (!parsed.ok) throw invalidQuery(parsed.errors);
      const query = parsed.value;
      if ('date' in query) {
        res.status(200).json(await unlessUnavailable(deps.metrics.siteStats(query)));
        return;
      }
      const { siteId, from, to } = query;
      const [totals, days] = await unlessUnavailable(
        Promise.all([
          deps.metrics.siteTotals(siteId, { from, to }),
          deps.metrics.siteDays(siteId, { from, to }),
        ]),
      );
      res.status(200).json({ ...totals, days });
    },
  },
  {
    method: 'GET',
    path: '/v1/sites',
    role: 'admin',
    tag,
    summary: 'The sites events were seen on over a range (the last 30 days by default)',
    description:
      'Each site with its events, its page views and the last day it had an event, most viewed first. Computed from the warehouse and shared for METRICS_CACHE_SECONDS.',
    query: sitesQueryDocs,
    responses: { 200: { description: 'The sites.', schema: sitesAnswerSchema } },
    handle: async ({ req, res }, deps) => {
      const parsed = parseSitesQuery(req.query, deps.metrics.today());
      if (!parsed.ok) throw invalidQuery(parsed.errors);
      const answer = await unlessUnavailable(deps.metrics.sites(parsed.value));
      res.status(200).json({ ...parsed.value, count: answer.sites.length, ...answer });
    },
  },
];

export function invalidQuery(errors: FieldError[]): HttpError {
  const names = errors.map((error) => error.field).join(', ');
  return new HttpError(400, 'invalid_query', `Invalid query parameter(s): ${names}.`, {
    fields: errors,
  });
}

/** A warehouse that does not answer is a 503 the caller may retry, not a 500. */
export async function unlessUnavailable<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof WarehouseUnavailableError) {
      throw new HttpError(503, 'unavailable', 'The warehouse is unavailable; retry shortly.', {
        headers: { 'Retry-After': '5' },
      });
    }
    throw error;
  }
}
