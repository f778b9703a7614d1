import type { TableSpec } from '../../../infra/spec.ts';

/**
 * The metrics queries, written once per warehouse dialect (see bigQuerySql.ts and
 * duckDbSql.ts). Parameters: `from` and `to` (YYYY-MM-DD, both included, UTC days of
 * `occurred_at`), `viewType`, `topPaths`, and `siteId` for one site.
 *
 * Every count is of DISTINCT event_id: a redelivered event may be stored twice.
 */
export type MetricsSql = {
  /** Columns `day`, `event_type`, `events`: events per day and type. */
  dailyEventCounts: string;
  /**
   * Columns `day`, `site_id`, `total_views`, `unique_users`, `path`, `path_views`: one
   * row per top path of each day and site (path null when the site has no paths).
   */
  siteStats: (options: { oneSite: boolean }) => string;
};

export type MetricsSqlFactory = (table: TableSpec) => MetricsSql;
