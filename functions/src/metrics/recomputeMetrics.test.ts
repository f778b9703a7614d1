import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import type { DailyMetricsDoc, SiteStatsDoc } from './dailyMetrics.ts';
import type { MetricsDocStore } from './metricsStore.ts';
import { planRecompute, recomputeMetrics } from './recomputeMetrics.ts';

const now = new Date('2026-03-10T00:30:00Z');

describe('planRecompute', () => {
  it.each([
    ['the nightly {}: the last closed days', {}, { from: '2026-03-03', to: '2026-03-09' }],
    ['one day', { date: '2026-03-01' }, { from: '2026-03-01', to: '2026-03-01' }],
    ['a range', { from: '2026-02-01', to: '2026-02-28' }, { from: '2026-02-01', to: '2026-02-28' }],
    [
      'a range into today: closed days only',
      { from: '2026-03-08', to: '2026-03-12' },
      { from: '2026-03-08', to: '2026-03-09' },
    ],
  ])('%s', (_, request, range) => {
    expect(planRecompute(request, now, 7)).toEqual({ kind: 'recompute', range });
  });

  it('does nothing for a range with no closed day', () => {
    expect(planRecompute({ date: '2026-03-10' }, now, 7)).toEqual({
      kind: 'nothing',
      reason: 'no closed day in the range',
    });
  });

  it.each([
    ['not an object', [1], '(root)'],
    ['an unknown field', { day: '2026-03-01' }, 'day'],
    ['a date that is not text', { date: 20260301 }, 'date'],
    ['a bad date', { date: '2026-02-30' }, 'date'],
    ['an inverted range', { from: '2026-03-05', to: '2026-03-01' }, 'to'],
    ['a range over a year', { from: '2024-01-01', to: '2026-01-01' }, 'to'],
  ])('refuses %s', (_, request, field) => {
    const plan = planRecompute(request, now, 7);
    expect(plan.kind).toBe('invalid');
    expect(plan.kind === 'invalid' ? plan.errors.map((e) => e.field) : []).toEqual([field]);
  });
});

describe('recomputeMetrics', () => {
  it('writes a document per day and per site and day, from two warehouse queries for the whole range', async () => {
    const saved: { days: readonly DailyMetricsDoc[]; sites: readonly SiteStatsDoc[] }[] = [];
    const docs: MetricsDocStore = {
      getDays: () => Promise.resolve(new Map()),
      getSiteDay: () => Promise.resolve({ day: undefined, site: undefined }),
      getSiteDays: () => Promise.resolve(new Map()),
      saveRecomputed: (days, sites) => {
        saved.push({ days, sites });
        return Promise.resolve();
      },
    };
    const queries: string[] = [];
    const report = await recomputeMetrics(
      { from: '2026-03-08', to: '2026-03-09' },
      {
        now: () => now,
        lookbackDays: 7,
        logger: createLogger({ level: 'silent' }),
        docs,
        warehouse: {
          dailyCounts: (range) => {
            queries.push(`counts ${range.from}..${range.to}`);
            return Promise.resolve([{ date: '2026-03-09', eventType: 'page.viewed', count: 3 }]);
          },
          siteStats: (range, siteId) => {
            queries.push(`stats ${range.from}..${range.to} ${siteId ?? 'all sites'}`);
            return Promise.resolve([
              {
                siteId: 'shop',
                date: '2026-03-09',
                totalViews: 3,
                uniqueUsers: 2,
                topPaths: [{ path: '/', views: 3 }],
              },
            ]);
          },
        },
      },
    );
    expect(queries.sort()).toEqual([
      'counts 2026-03-08..2026-03-09',
      'stats 2026-03-08..2026-03-09 all sites',
    ]);
    expect(report).toEqual({
      range: { from: '2026-03-08', to: '2026-03-09' },
      days: 2,
      siteDays: 1,
    });
    expect(saved).toHaveLength(1);
    expect(saved[0]!.days.map((d) => [d.date, d.total, d.computedAt])).toEqual([
      ['2026-03-08', 0, now],
      ['2026-03-09', 3, now],
    ]);
    expect(saved[0]!.sites).toEqual([
      {
        siteId: 'shop',
        date: '2026-03-09',
        totalViews: 3,
        uniqueUsers: 2,
        topPaths: [{ path: '/', views: 3 }],
        computedAt: now,
      },
    ]);
  });
});
