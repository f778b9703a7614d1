import {
  emptyStats,
  isFinal,
  metricsAnswer,
  planMetricsSources,
  siteDayFigures,
  type DailyCount,
  type DailyMetricsDoc,
  type MetricsAnswer,
  type SiteDayFigures,
  type SiteDayStats,
  type SiteSeen,
  type SiteStatsDoc,
  type SiteTotals,
} from './dailyMetrics.ts';
import { daysBetween, utcDay } from './dates.ts';
import type { DayRange, MetricsQuery, StatsQuery } from './metricsQuery.ts';
import type { MetricsDocStore } from './metricsStore.ts';
import { TtlCache } from './ttlCache.ts';
import type { MetricsSource } from './warehouseMetrics.ts';

export type MetricsReaderDeps = {
  docs: MetricsDocStore;
  warehouse: MetricsSource;
  /** The calendar: which day is today (UTC). */
  now: () => Date;
  /** Milliseconds, for the cache. */
  clock: () => number;
  cacheSeconds: number;
  /** The most sites `sites` lists. */
  maxSites: number;
};

/** The sites of a range, and whether there were more than the list holds. */
export type SitesAnswer = { sites: SiteSeen[]; truncated: boolean };

/**
 * Answers the metrics and stats endpoints. Closed days come from the nightly
 * documents; today, and any day not recomputed since it ended, is computed from the
 * warehouse, and that answer is shared for a short time.
 */
export class MetricsReader {
  readonly #deps: MetricsReaderDeps;
  readonly #counts: TtlCache<DailyCount[]>;
  readonly #stats: TtlCache<SiteDayStats[]>;
  readonly #totals: TtlCache<SiteTotals>;
  readonly #sites: TtlCache<SiteSeen[]>;

  constructor(deps: MetricsReaderDeps) {
    this.#deps = deps;
    const cacheOptions = { ttlMs: deps.cacheSeconds * 1000, clock: deps.clock };
    this.#counts = new TtlCache(cacheOptions);
    this.#stats = new TtlCache(cacheOptions);
    this.#totals = new TtlCache(cacheOptions);
    this.#sites = new TtlCache(cacheOptions);
  }

  today(): string {
    return utcDay(this.#deps.now());
  }

  async dailyMetrics(query: MetricsQuery): Promise<MetricsAnswer> {
    const days = daysBetween(query.from, query.to);
    const today = this.today();
    const closed = days.filter((day) => day < today);
    const docs =
      closed.length > 0
        ? await this.#deps.docs.getDays(closed)
        : new Map<string, DailyMetricsDoc>();
    const plan = planMetricsSources(days, docs);
    const live = plan.live;
    const liveCounts = live
      ? await this.#counts.get(`${live.from}/${live.to}`, () =>
          this.#deps.warehouse.dailyCounts(live),
        )
      : [];
    return metricsAnswer(days, plan, liveCounts, query.eventType);
  }

  async siteStats(query: StatsQuery): Promise<SiteDayStats> {
    const { siteId, date } = query;
    if (date < this.today()) {
      const stored = await this.#deps.docs.getSiteDay(siteId, date);
      if (stored.day && isFinal(stored.day)) {
        if (!stored.site) return emptyStats(siteId, date);
        const { computedAt: _computedAt, ...stats } = stored.site;
        return stats;
      }
    }
    const stats = await this.#liveSiteStats(siteId, { from: date, to: date });
    return stats[0] ?? emptyStats(siteId, date);
  }

  /**
   * A site's views and unique users on each day of a range: closed days from their
   * nightly documents, the others from one warehouse query over the days they span.
   */
  async siteDays(siteId: string, range: DayRange): Promise<SiteDayFigures[]> {
    const days = daysBetween(range.from, range.to);
    const today = this.today();
    const closed = days.filter((day) => day < today);
    const [dayDocs, siteDocs] =
      closed.length > 0
        ? await Promise.all([
            this.#deps.docs.getDays(closed),
            this.#deps.docs.getSiteDays(siteId, closed),
          ])
        : [new Map<string, DailyMetricsDoc>(), new Map<string, SiteStatsDoc>()];
    const plan = planMetricsSources(days, dayDocs);
    const live = plan.live ? await this.#liveSiteStats(siteId, plan.live) : [];
    return siteDayFigures(days, plan, siteDocs, live);
  }

  /** The sites with an event in the range, most viewed first; shared like every live answer. */
  async sites(range: DayRange): Promise<SitesAnswer> {
    const { maxSites } = this.#deps;
    // One more than the list holds tells whether there were more.
    const sites = await this.#sites.get(`${range.from}/${range.to}`, () =>
      this.#deps.warehouse.sitesSeen(range, maxSites + 1),
    );
    return { sites: sites.slice(0, maxSites), truncated: sites.length > maxSites };
  }

  #liveSiteStats(siteId: string, range: DayRange): Promise<SiteDayStats[]> {
    // Dates have a fixed width, so the key cannot be read two ways whatever the site id.
    return this.#stats.get(`${range.from}/${range.to}/${siteId}`, () =>
      this.#deps.warehouse.siteStats(range, siteId),
    );
  }

  /**
   * One site over a range, or over every day without one: unique users across the whole
   * span, which per-day figures cannot give, so it is always computed from the warehouse.
   */
  siteTotals(siteId: string, range: DayRange | undefined): Promise<SiteTotals> {
    const key = `${range ? `${range.from}/${range.to}` : 'all'}/${siteId}`;
    return this.#totals.get(key, () => this.#deps.warehouse.siteTotals(siteId, range));
  }
}
