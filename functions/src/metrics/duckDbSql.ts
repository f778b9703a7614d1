import type { TableSpec } from '../../../infra/spec.ts';
import type { MetricsSql } from './metricsSql.ts';

/**
 * Metrics in DuckDB's SQL. Every connection of the warehouse works in UTC, so dates
 * and day boundaries are UTC days, as in BigQuery.
 */
export function duckDbMetricsSql(table: TableSpec): MetricsSql {
  const events = `"${table.dataset}"."${table.name}"`;
  const inRange = `occurred_at >= CAST($from AS TIMESTAMPTZ)
      AND occurred_at < CAST($to AS TIMESTAMPTZ) + INTERVAL 1 DAY`;
  return {
    dailyEventCounts: `
      SELECT strftime(occurred_at, '%Y-%m-%d') AS day, event_type,
             COUNT(DISTINCT event_id) AS events
      FROM ${events}
      WHERE ${inRange}
      GROUP BY day, event_type
      ORDER BY day, event_type`,
    siteStats: ({ oneSite }) => `
      WITH views AS (
        SELECT DISTINCT event_id, strftime(occurred_at, '%Y-%m-%d') AS day, site_id, user_id, path
        FROM ${events}
        WHERE ${inRange}
          AND event_type = $viewType AND site_id IS NOT NULL${oneSite ? ' AND site_id = $siteId' : ''}
      ),
      totals AS (
        SELECT day, site_id, COUNT(DISTINCT event_id) AS total_views,
               COUNT(DISTINCT user_id) AS unique_users
        FROM views
        GROUP BY day, site_id
      ),
      paths AS (
        SELECT day, site_id, path, COUNT(DISTINCT event_id) AS path_views
        FROM views
        WHERE path IS NOT NULL
        GROUP BY day, site_id, path
        QUALIFY ROW_NUMBER() OVER (
          PARTITION BY day, site_id ORDER BY COUNT(DISTINCT event_id) DESC, path) <= $topPaths
      )
      SELECT t.day, t.site_id, t.total_views, t.unique_users, p.path, p.path_views
      FROM totals t LEFT JOIN paths p ON p.day = t.day AND p.site_id = t.site_id
      ORDER BY t.day, t.site_id, p.path_views DESC, p.path`,
  };
}
