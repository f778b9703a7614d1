import type { ApiDeps } from '../admin/apiDeps.ts';
import { HttpError } from '../lib/http.ts';
import type { FieldError } from '../lib/http.ts';
import type { Route } from '../lib/router.ts';
import { WarehouseUnavailableError } from '../warehouse/warehouse.ts';
import { parseMetricsQuery, parseStatsQuery } from './metricsQuery.ts';

/** Daily metrics and site statistics, for operators. */
export const metricsRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/v1/metrics',
    role: 'admin',
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
    handle: async ({ req, res }, deps) => {
      const parsed = parseStatsQuery(req.query, deps.metrics.today());
      if (!parsed.ok) throw invalidQuery(parsed.errors);
      res.status(200).json(await unlessUnavailable(deps.metrics.siteStats(parsed.value)));
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
