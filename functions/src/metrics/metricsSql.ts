import type { TableSpec } from '../../../infra/spec.ts';
import { viewEventTypes } from './dailyMetrics.ts';

/**
 * The metrics queries, written once; a dialect says how its warehouse names a table, a
 * parameter and an event's UTC day. Parameters: `from` and `to` (YYYY-MM-DD, both
 * included, UTC days of `occurred_at`), `viewType0`… (one per view event type), `topPaths`,
 * and `siteId` for one site.
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
  /**
   * Columns `total_views`, `unique_users`, `path`, `path_views`: one site's figures over
   * the range, or over every day when `ranged` is false (one row per top path; one row
   * with path null when the site has no paths). Unique users are counted over the whole
   * span, not summed per day.
   */
  siteTotals: (options: { ranged: boolean }) => string;
  /**
   * Columns `site_id`, `events`, `views`, `last_day`: every site with an event in the
   * range, most viewed first, at most `limit` rows.
   */
  sitesSeen: (options: { limit: number }) => string;
  /**
   * Columns `payload`, `metadata` of one event (`eventId`), within its UTC day when
   * `ranged` (so BigQuery reads one partition), for operators looking an event up.
   */
  eventBody: (options: { ranged: boolean }) => string;
};

export type MetricsSqlFactory = (table: TableSpec) => MetricsSql;

export type SqlDialect = {
  table: (table: TableSpec) => string;
  /** A named query parameter. */
  param: (name: string) => string;
  /** `occurred_at` from the first day through the last, both included. */
  inRange: (from: string, to: string) => string;
  /** `occurred_at`'s UTC day as YYYY-MM-DD. */
  day: string;
};

export function metricsSql(dialect: SqlDialect): MetricsSqlFactory {
  const p = dialect.param;
  return (table) => {
    const events = dialect.table(table);
    const inRange = dialect.inRange(p('from'), p('to'));
    const viewTypes = viewEventTypes.map((_, index) => p(`viewType${index}`)).join(', ');
    return {
      dailyEventCounts: `
      SELECT ${dialect.day} AS day, event_type, COUNT(DISTINCT event_id) AS events
      FROM ${events}
      WHERE ${inRange}
      GROUP BY day, event_type
      ORDER BY day, event_type`,
      siteStats: ({ oneSite }) => `
      WITH views AS (
        SELECT DISTINCT event_id, ${dialect.day} AS day, site_id, user_id, path
        FROM ${events}
        WHERE ${inRange}
          AND event_type IN (${viewTypes}) AND site_id IS NOT NULL${oneSite ? ` AND site_id = ${p('siteId')}` : ''}
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
          PARTITION BY day, site_id ORDER BY COUNT(DISTINCT event_id) DESC, path) <= ${p('topPaths')}
      )
      SELECT t.day, t.site_id, t.total_views, t.unique_users, p.path, p.path_views
      FROM totals t LEFT JOIN paths p ON p.day = t.day AND p.site_id = t.site_id
      ORDER BY t.day, t.site_id, p.path_views DESC, p.path`,
      siteTotals: ({ ranged }) => `
      WITH views AS (
        SELECT DISTINCT event_id, user_id, path
        FROM ${events}
        WHERE event_type IN (${viewTypes}) AND site_id = ${p('siteId')}${ranged ? ` AND ${inRange}` : ''}
      ),
      totals AS (
        SELECT COUNT(DISTINCT event_id) AS total_views, COUNT(DISTINCT user_id) AS unique_users
        FROM views
      ),
      paths AS (
        SELECT path, COUNT(DISTINCT event_id) AS path_views
        FROM views
        WHERE path IS NOT NULL
        GROUP BY path
        QUALIFY ROW_NUMBER() OVER (ORDER BY COUNT(DISTINCT event_id) DESC, path) <= ${p('topPaths')}
      )
      SELECT t.total_views, t.unique_users, p.path, p.path_views
      FROM totals t LEFT JOIN paths p ON TRUE
      ORDER BY p.path_views DESC, p.path`,
      sitesSeen: ({ limit }) => `
      SELECT site_id, COUNT(DISTINCT event_id) AS events,
             COUNT(DISTINCT CASE WHEN event_type IN (${viewTypes}) THEN event_id END) AS views,
             MAX(${dialect.day}) AS last_day
      FROM ${events}
      WHERE ${inRange}
        AND site_id IS NOT NULL
      GROUP BY site_id
      ORDER BY views DESC, events DESC, site_id
      LIMIT ${Math.trunc(limit)}`,
      eventBody: ({ ranged }) => `
      SELECT payload, metadata
      FROM ${events}
      WHERE event_id = ${p('eventId')}${ranged ? ` AND ${inRange}` : ''}
      LIMIT 1`,
    };
  };
}
