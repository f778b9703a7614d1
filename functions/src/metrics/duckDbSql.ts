import { metricsSql } from './metricsSql.ts';

/**
 * Metrics in DuckDB's SQL. Every connection of the warehouse works in UTC, so dates
 * and day boundaries are UTC days, as in BigQuery.
 */
export const duckDbMetricsSql = metricsSql({
  table: (table) => `"${table.dataset}"."${table.name}"`,
  param: (name) => `$${name}`,
  inRange: (from, to) => `occurred_at >= CAST(${from} AS TIMESTAMPTZ)
      AND occurred_at < CAST(${to} AS TIMESTAMPTZ) + INTERVAL 1 DAY`,
  day: `strftime(occurred_at, '%Y-%m-%d')`,
});
