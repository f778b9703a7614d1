import { describe, expect, it } from 'vitest';
import type {
  DailyCount,
  DailyMetricsDoc,
  SiteDayStats,
  SiteSeen,
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
  getSiteDays(siteId: string, dates: readonly string[]): Promise<Map<string, SiteStatsDoc>> {
    return Promise.resolve(
      new Map(
        dates.flatMap((d) => {
          const doc = this.sites.get(`${d}/${siteId}`);
          return doc ? [[d, doc] as const] : [];
        }),
      ),
    );
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
    this.queries.push(
      range.from === range.to
        ? `stats ${range.from} ${siteId}`
        : `stats ${range.from}..${range.to} ${siteId}`,
    );
    return Promise.resolve(
      this.stats.filter((s) => s.date >= range.from && s.date <= range.to && s.siteId === siteId),
    );
  }
  seen: SiteSeen[] = [];
  sitesSeen(range: { from: string; to: string }, limit: number): Promise<SiteSeen[]> {
    this.queries.push(`sites ${range.from}..${range.to} ${limit}`);
    return Promise.resolve(this.seen.slice(0, limit));
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
    maxSites: 2,
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

  it('answers a site’s days from documents where final and one live query for the rest', async () => {
    const { docs, source, reader } = setup();
    for (const date of ['2026-03-07', '2026-03-08']) {
      docs.days.set(date, { date, metrics: [], total: 0, computedAt: nightly });
    }
    docs.sites.set('2026-03-07/shop', {
      siteId: 'shop',
      date: '2026-03-07',
      totalViews: 5,
      uniqueUsers: 4,
      topPaths: [{ path: '/', views: 5 }],
      computedAt: nightly,
    });
    // 03-09 has no document yet: it is computed live with today, in one query.
    source.stats = [
      { siteId: 'shop', date: '2026-03-09', totalViews: 2, uniqueUsers: 1, topPaths: [] },
      { siteId: 'shop', date: '2026-03-10', totalViews: 1, uniqueUsers: 1, topPaths: [] },
    ];
    const days = await reader.siteDays('shop', { from: '2026-03-07', to: '2026-03-10' });
    expect(days).toEqual([
      { date: '2026-03-07', totalViews: 5, uniqueUsers: 4 },
      { date: '2026-03-08', totalViews: 0, uniqueUsers: 0 },
      { date: '2026-03-09', totalViews: 2, uniqueUsers: 1 },
      { date: '2026-03-10', totalViews: 1, uniqueUsers: 1 },
    ]);
    expect(source.queries).toEqual(['stats 2026-03-09..2026-03-10 shop']);
  });

  it('answers a site’s closed days from documents alone', async () => {
    const { docs, source, reader } = setup();
    docs.days.set('2026-03-08', { date: '2026-03-08', metrics: [], total: 0, computedAt: nightly });
    expect(await reader.siteDays('shop', { from: '2026-03-08', to: '2026-03-08' })).toEqual([
      { date: '2026-03-08', totalViews: 0, uniqueUsers: 0 },
    ]);
    expect(source.queries).toEqual([]);
  });

  it('lists the sites of a range once for a burst, and says when there were more', async () => {
    const { source, reader } = setup();
    source.seen = ['shop', 'blog', 'docs'].map((siteId) => ({
      siteId,
      events: 3,
      views: 2,
      lastSeen: '2026-03-10',
    }));
    const range = { from: '2026-03-01', to: '2026-03-10' };
    const [first] = await Promise.all([reader.sites(range), reader.sites(range)]);
    expect(first).toEqual({ sites: source.seen.slice(0, 2), truncated: true });
    expect(source.queries).toEqual(['sites 2026-03-01..2026-03-10 3']);
  });
});
