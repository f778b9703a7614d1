import { eventsTable } from '../../../infra/spec.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { bigQueryMetricsSql } from './bigQuerySql.ts';
import type { DailyCount, SiteDayStats, SiteSeen, SiteTotals } from './dailyMetrics.ts';
import { viewEventTypes } from './dailyMetrics.ts';
import { duckDbMetricsSql } from './duckDbSql.ts';
import type { DayRange } from './metricsQuery.ts';
import type { MetricsSql } from './metricsSql.ts';

/** Daily figures computed from the warehouse. */
export interface MetricsSource {
  dailyCounts(range: DayRange): Promise<DailyCount[]>;
  /** Views, unique users and top paths per day and site (one site when `siteId` is given). */
  siteStats(range: DayRange, siteId?: string): Promise<SiteDayStats[]>;
  /** One site's views, unique users and top paths over a range, or every day without one. */
  siteTotals(siteId: string, range: DayRange | undefined): Promise<SiteTotals>;
  /** The sites with an event in the range, most viewed first, at most `limit`. */
  sitesSeen(range: DayRange, limit: number): Promise<SiteSeen[]>;
}

/** An event's payload and metadata, as the warehouse keeps them. */
export type EventBody = {
  payload: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
};

/** Looks up one loaded event's body; `day` (its UTC day) narrows the read. */
export interface EventBodySource {
  eventBody(eventId: string, day: string | null): Promise<EventBody | undefined>;
}

/** The metrics the warehouse computes, in domain terms, with the SQL of its dialect. */
export class WarehouseMetrics implements MetricsSource, EventBodySource {
  readonly #warehouse: Warehouse;
  readonly #sql: MetricsSql;
  readonly #topPaths: number;

  constructor(warehouse: Warehouse, options: { topPaths: number }) {
    this.#warehouse = warehouse;
    this.#sql =
      warehouse.dialect === 'bigquery'
        ? bigQueryMetricsSql(eventsTable)
        : duckDbMetricsSql(eventsTable);
    this.#topPaths = options.topPaths;
  }

  async dailyCounts(range: DayRange): Promise<DailyCount[]> {
    const rows = await this.#warehouse.query(this.#sql.dailyEventCounts, { ...range });
    return rows.map((row) => ({
      date: text(row.day),
      eventType: text(row.event_type),
      count: Number(row.events),
    }));
  }

  async siteStats(range: DayRange, siteId?: string): Promise<SiteDayStats[]> {
    const rows = await this.#warehouse.query(
      this.#sql.siteStats({ oneSite: siteId !== undefined }),
      {
        ...range,
        ...viewTypeParams,
        topPaths: this.#topPaths,
        ...(siteId !== undefined ? { siteId } : {}),
      },
    );
    const stats = new Map<string, SiteDayStats>();
    for (const row of rows) {
      const key = `${text(row.day)}\u0000${text(row.site_id)}`;
      let stat = stats.get(key);
      if (!stat) {
        stat = {
          siteId: text(row.site_id),
          date: text(row.day),
          totalViews: Number(row.total_views),
          uniqueUsers: Number(row.unique_users),
          topPaths: [],
        };
        stats.set(key, stat);
      }
      if (row.path !== null && row.path !== undefined) {
        stat.topPaths.push({ path: text(row.path), views: Number(row.path_views) });
      }
    }
    return [...stats.values()];
  }

  async siteTotals(siteId: string, range: DayRange | undefined): Promise<SiteTotals> {
    const rows = await this.#warehouse.query(
      this.#sql.siteTotals({ ranged: range !== undefined }),
      {
        ...range,
        siteId,
        ...viewTypeParams,
        topPaths: this.#topPaths,
      },
    );
    const first = rows[0];
    return {
      siteId,
      from: range?.from ?? null,
      to: range?.to ?? null,
      totalViews: Number(first?.total_views ?? 0),
      uniqueUsers: Number(first?.unique_users ?? 0),
      topPaths: rows
        .filter((row) => row.path !== null && row.path !== undefined)
        .map((row) => ({ path: text(row.path), views: Number(row.path_views) })),
    };
  }

  async sitesSeen(range: DayRange, limit: number): Promise<SiteSeen[]> {
    const rows = await this.#warehouse.query(this.#sql.sitesSeen({ limit }), {
      ...range,
      ...viewTypeParams,
    });
    return rows.map((row) => ({
      siteId: text(row.site_id),
      events: Number(row.events),
      views: Number(row.views),
      lastSeen: text(row.last_day),
    }));
  }

  async eventBody(eventId: string, day: string | null): Promise<EventBody | undefined> {
    const rows = await this.#warehouse.query(this.#sql.eventBody({ ranged: day !== null }), {
      eventId,
      ...(day === null ? {} : { from: day, to: day }),
    });
    const row = rows[0];
    if (!row) return undefined;
    return { payload: jsonObject(row.payload) ?? {}, metadata: jsonObject(row.metadata) };
  }
}

const viewTypeParams = Object.fromEntries(
  viewEventTypes.map((type, index) => [`viewType${index}`, type]),
);

/** JSON columns come back as text from DuckDB and may come back parsed from BigQuery. */
function jsonObject(value: unknown): Record<string, unknown> | null {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : null;
}

/** Text columns come back as strings from either warehouse. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
