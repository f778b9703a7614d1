import { z } from 'zod';
import { renameFields, sendErrorWithSuccessFlag } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import type { SiteDayStats, SiteTotals } from '../metrics/dailyMetrics.ts';
import { parseStatsQuery } from '../metrics/metricsQuery.ts';
import {
  invalidQuery,
  unlessUnavailable,
  type MetricsRouteDeps,
} from '../metrics/metricsRoutes.ts';
import { translateQuery } from './dialectQuery.ts';
import { fieldNames, websiteAnalyticsTag as tag } from './websiteAnalytics.ts';

/** The website analytics backend's route on the api function: a site's statistics. */

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

const statsSchema = z.object({
  site_id: z.string(),
  date: z.string().nullable(),
  total_views: z.number().int(),
  unique_users: z.number().int(),
  top_paths: z.array(z.object({ path: z.string(), views: z.number().int() })),
});

export const websiteAnalyticsApiRoutes: Route<MetricsRouteDeps>[] = [
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
