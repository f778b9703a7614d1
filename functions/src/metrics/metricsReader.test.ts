import { describe, expect, it } from 'vitest';
import type {
  DailyCount,
  DailyMetricsDoc,
  SiteDayStats,
  SiteStatsDoc,
  SiteTotals,
} from './dailyMetrics.ts';
import { MetricsReader } from './metricsReader.ts';
import type { MetricsDocStore } from './metricsStore.ts';
import type { MetricsSource } from './warehouseMetrics.ts';

const now = new Date('2026-03-10T15:00:00Z');
const nightly = new Date('2026-03-10T00:30:00Z');

class FakeDocs implements MetricsDocStore {
  days = new Map<string, DailyMetricsDoc>();
  sites = new Map<string, SiteStatsDoc>();
  getDays(dates: readonly string[]): Promise<Map<string, DailyMetricsDoc>> {
    return Promise.resolve(
      new Map(dates.flatMap((d) => (this.days.has(d) ? [[d, this.days.get(d)!] as const] : []))),
    );
  }
  getSiteDay(siteId: string, date: string) {
    return Promise.resolve({ day: this.days.get(date), site: this.sites.get(`${date}/${siteId}`) });
  }
  saveRecomputed(): Promise<void> {
    return Promise.resolve();
  }
}

class FakeSource implements MetricsSource {
  queries: string[] = [];
  counts: DailyCount[] = [];
  stats: SiteDayStats[] = [];
  dailyCounts(range: { from: string; to: string }): Promise<DailyCount[]> {
    this.queries.push(`counts ${range.from}..${range.to}`);
    return Promise.resolve(this.counts.filter((c) => c.date >= range.from && c.date <= range.to));
  }
  siteStats(range: { from: string; to: string }, siteId?: string): Promise<SiteDayStats[]> {
    this.queries.push(`stats ${range.from} ${siteId}`);
    return Promise.resolve(this.stats.filter((s) => s.date === range.from && s.siteId === siteId));
  }
  siteTotals(siteId: string, range: { from: string; to: string } | undefined): Promise<SiteTotals> {
    this.queries.push(`totals ${range ? `${range.from}..${range.to}` : 'all'} ${siteId}`);
    return Promise.resolve({
      siteId,
      from: range?.from ?? null,
      to: range?.to ?? null,
      totalViews: 3,
      uniqueUsers: 2,
      topPaths: [],
    });
  }
}

function setup() {
  const docs = new FakeDocs();
  const source = new FakeSource();
  const reader = new MetricsReader({
    docs,
    warehouse: source,
    now: () => now,
    clock: () => 0,
    cacheSeconds: 30,
  });
  return { docs, source, reader };
}

describe('MetricsReader', () => {
  it('answers closed days from their documents without querying the warehouse', async () => {
    const { docs, source, reader } = setup();
    docs.days.set('2026-03-09', {
      date: '2026-03-09',
      metrics: [{ eventType: 'page.viewed', count: 4 }],
      total: 4,
      computedAt: nightly,
    });
    const answer = await reader.dailyMetrics({
      from: '2026-03-09',
      to: '2026-03-09',
      eventType: undefined,
    });
    expect(answer.data).toEqual([
      { date: '2026-03-09', metrics: [{ eventType: 'page.viewed', count: 4 }] },
    ]);
    expect(source.queries).toEqual([]);
  });

  it('computes today live, once for a burst of requests', async () => {
    const { source, reader } = setup();
    source.counts = [{ date: '2026-03-10', eventType: 'page.viewed', count: 2 }];
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        reader.dailyMetrics({
          from: '2026-03-10',
          to: '2026-03-10',
          eventType: i % 2 ? 'page.viewed' : undefined,
        }),
      ),
    );
    expect(answers[0]!.data[0]!.metrics).toEqual([{ eventType: 'page.viewed', count: 2 }]);
    expect(source.queries).toEqual(['counts 2026-03-10..2026-03-10']);
  });

  it('computes live a closed day that has no final document yet', async () => {
    const { source, reader } = setup();
    source.counts = [{ date: '2026-03-08', eventType: 'a.b', count: 1 }];
    const answer = await reader.dailyMetrics({
      from: '2026-03-08',
      to: '2026-03-09',
      eventType: undefined,
    });
    expect(answer).toEqual({
      count: 2,
      data: [
        { date: '2026-03-08', metrics: [{ eventType: 'a.b', count: 1 }] },
        { date: '2026-03-09', metrics: [] },
      ],
    });
    expect(source.queries).toEqual(['counts 2026-03-08..2026-03-09']);
  });

  it('answers a closed day of a site from documents: zeros when the site had no views', async () => {
    const { docs, source, reader } = setup();
    docs.days.set('2026-03-09', { date: '2026-03-09', metrics: [], total: 0, computedAt: nightly });
    docs.sites.set('2026-03-09/shop', {
      siteId: 'shop',
      date: '2026-03-09',
      totalViews: 3,
      uniqueUsers: 2,
      topPaths: [{ path: '/', views: 3 }],
      computedAt: nightly,
    });
    expect(await reader.siteStats({ siteId: 'shop', date: '2026-03-09' })).toEqual({
      siteId: 'shop',
      date: '2026-03-09',
      totalViews: 3,
      uniqueUsers: 2,
      topPaths: [{ path: '/', views: 3 }],
    });
    expect(await reader.siteStats({ siteId: 'blog', date: '2026-03-09' })).toEqual({
      siteId: 'blog',
      date: '2026-03-09',
      totalViews: 0,
      uniqueUsers: 0,
      topPaths: [],
    });
    expect(source.queries).toEqual([]);
  });

  it('computes a site’s stats for today live, once for a burst', async () => {
    const { source, reader } = setup();
    source.stats = [
      { siteId: 'shop', date: '2026-03-10', totalViews: 1, uniqueUsers: 1, topPaths: [] },
    ];
    await Promise.all(
      Array.from({ length: 5 }, () => reader.siteStats({ siteId: 'shop', date: '2026-03-10' })),
    );
    expect(await reader.siteStats({ siteId: 'shop', date: '2026-03-10' })).toMatchObject({
      totalViews: 1,
    });
    expect(source.queries).toEqual(['stats 2026-03-10 shop']);
  });

  it('computes a site’s totals over a range or every day, once per span for a burst', async () => {
    const { source, reader } = setup();
    const range = { from: '2026-03-01', to: '2026-03-10' };
    await Promise.all([
      reader.siteTotals('shop', range),
      reader.siteTotals('shop', range),
      reader.siteTotals('shop', undefined),
      reader.siteTotals('shop', undefined),
      reader.siteTotals('blog', undefined),
    ]);
    expect(await reader.siteTotals('shop', undefined)).toMatchObject({ from: null, to: null });
    expect(source.queries).toEqual([
      'totals 2026-03-01..2026-03-10 shop',
      'totals all shop',
      'totals all blog',
    ]);
  });
});
