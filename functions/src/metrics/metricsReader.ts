import {
  emptyStats,
  isFinal,
  metricsAnswer,
  planMetricsSources,
  type DailyCount,
  type DailyMetricsDoc,
  type MetricsAnswer,
  type SiteDayStats,
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
};

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

  constructor(deps: MetricsReaderDeps) {
    this.#deps = deps;
    const cacheOptions = { ttlMs: deps.cacheSeconds * 1000, clock: deps.clock };
    this.#counts = new TtlCache(cacheOptions);
    this.#stats = new TtlCache(cacheOptions);
    this.#totals = new TtlCache(cacheOptions);
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
    const stats = await this.#stats.get(`${date}/${siteId}`, () =>
      this.#deps.warehouse.siteStats({ from: date, to: date }, siteId),
    );
    return stats[0] ?? emptyStats(siteId, date);
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
