import { daysBetween, endOfDay } from './dates.ts';
import type { DayRange } from './metricsQuery.ts';

/**
 * Event types whose events count as page views in site statistics: ours, and
 * `page_view`, what the website analytics backend Tributary replaces sends.
 */
export const viewEventTypes = ['page.viewed', 'page_view'] as const;

export type TypeCount = { eventType: string; count: number };
export type DailyCount = { date: string } & TypeCount;
export type PathViews = { path: string; views: number };

export type SiteDayStats = {
  siteId: string;
  date: string;
  totalViews: number;
  uniqueUsers: number;
  topPaths: PathViews[];
};

/** One site's figures over a span of days: `from` and `to` are null for every day there is. */
export type SiteTotals = {
  siteId: string;
  from: string | null;
  to: string | null;
  totalViews: number;
  uniqueUsers: number;
  topPaths: PathViews[];
};

/** A site seen in a range: its events, its views, and the last day it had an event. */
export type SiteSeen = { siteId: string; events: number; views: number; lastSeen: string };

/** One day of a site over a range: the day's figures without its paths. */
export type SiteDayFigures = { date: string; totalViews: number; uniqueUsers: number };

/** A site over a range: the totals of the whole span and the figures of each day. */
export type SiteRangeStats = SiteTotals & { days: SiteDayFigures[] };

/** `daily_metrics/{date}`: a day's counts by event type, as the last recomputation saw them. */
export type DailyMetricsDoc = {
  date: string;
  metrics: TypeCount[];
  total: number;
  computedAt: Date;
};

/** `daily_site_stats/{date}_{siteId}`. */
export type SiteStatsDoc = SiteDayStats & { computedAt: Date };

export type MetricsAnswer = { count: number; data: { date: string; metrics: TypeCount[] }[] };

/** One document per day of the range, empty days included, so a missing document means "not computed". */
export function buildDayDocs(
  range: DayRange,
  counts: readonly DailyCount[],
  computedAt: Date,
): DailyMetricsDoc[] {
  const byDay = groupCounts(counts);
  return daysBetween(range.from, range.to).map((date) => {
    const metrics = sortMetrics(byDay.get(date) ?? []);
    return {
      date,
      metrics,
      total: metrics.reduce((sum, metric) => sum + metric.count, 0),
      computedAt,
    };
  });
}

export function buildSiteDocs(stats: readonly SiteDayStats[], computedAt: Date): SiteStatsDoc[] {
  return stats.map((stat) => ({ ...stat, computedAt }));
}

/**
 * A document is the day's answer once it was computed after the day ended; one
 * computed while the day was still running is only a partial count.
 */
export function isFinal(doc: { date: string; computedAt: Date }): boolean {
  return doc.computedAt.getTime() >= endOfDay(doc.date).getTime();
}

export type SourcePlan = {
  /** Days answered from their final document. */
  stored: Map<string, TypeCount[]>;
  /** Days to compute from the warehouse: today, and any day without a final document. */
  live: DayRange | undefined;
};

export function planMetricsSources(
  days: readonly string[],
  docs: ReadonlyMap<string, DailyMetricsDoc>,
): SourcePlan {
  const stored = new Map<string, TypeCount[]>();
  const liveDays: string[] = [];
  for (const day of days) {
    const doc = docs.get(day);
    if (doc && isFinal(doc)) stored.set(day, doc.metrics);
    else liveDays.push(day);
  }
  const live =
    liveDays.length > 0 ? { from: liveDays[0]!, to: liveDays[liveDays.length - 1]! } : undefined;
  return { stored, live };
}

/** The answer of `GET /v1/metrics`: every day of the range, in order. */
export function metricsAnswer(
  days: readonly string[],
  plan: SourcePlan,
  liveCounts: readonly DailyCount[],
  eventType: string | undefined,
): MetricsAnswer {
  const live = groupCounts(liveCounts);
  const data = days.map((date) => {
    const all = plan.stored.get(date) ?? sortMetrics(live.get(date) ?? []);
    const metrics =
      eventType === undefined
        ? all
        : [{ eventType, count: all.find((m) => m.eventType === eventType)?.count ?? 0 }];
    return { date, metrics };
  });
  return { count: data.length, data };
}

/**
 * Each day of a site's range, in order: a closed day from its site document (none
 * means no views that day), any other day from the warehouse's live answer.
 */
export function siteDayFigures(
  days: readonly string[],
  plan: SourcePlan,
  siteDocs: ReadonlyMap<string, SiteDayStats>,
  live: readonly SiteDayStats[],
): SiteDayFigures[] {
  const liveByDay = new Map(live.map((stats) => [stats.date, stats]));
  return days.map((date) => {
    const stats = plan.stored.has(date) ? siteDocs.get(date) : liveByDay.get(date);
    return { date, totalViews: stats?.totalViews ?? 0, uniqueUsers: stats?.uniqueUsers ?? 0 };
  });
}

export function emptyStats(siteId: string, date: string): SiteDayStats {
  return { siteId, date, totalViews: 0, uniqueUsers: 0, topPaths: [] };
}

/** Most frequent first; ties by name, so answers are stable. */
function sortMetrics(metrics: TypeCount[]): TypeCount[] {
  return [...metrics].sort(
    (a, b) =>
      b.count - a.count || (a.eventType < b.eventType ? -1 : a.eventType > b.eventType ? 1 : 0),
  );
}

function groupCounts(counts: readonly DailyCount[]): Map<string, TypeCount[]> {
  const byDay = new Map<string, TypeCount[]>();
  for (const { date, eventType, count } of counts) {
    const list = byDay.get(date) ?? [];
    list.push({ eventType, count });
    byDay.set(date, list);
  }
  return byDay;
}
