import { metricsSql } from './metricsSql.ts';

/**
 * Metrics in BigQuery's SQL. The range filter is on `occurred_at`, the partitioning
 * column, so a query reads only the partitions of its days.
 */
export const bigQueryMetricsSql = metricsSql({
  table: (table) => `\`${table.dataset}.${table.name}\``,
  param: (name) => `@${name}`,
  inRange: (from, to) => `occurred_at >= TIMESTAMP(${from})
      AND occurred_at < TIMESTAMP_ADD(TIMESTAMP(${to}), INTERVAL 1 DAY)`,
  day: `FORMAT_TIMESTAMP('%F', occurred_at, 'UTC')`,
});
