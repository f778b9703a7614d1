import { describe, expect, it } from 'vitest';
import {
  buildDayDocs,
  isFinal,
  metricsAnswer,
  planMetricsSources,
  type DailyMetricsDoc,
} from './dailyMetrics.ts';

const computedAt = new Date('2026-03-10T00:30:00Z');

function doc(date: string, at: Date = computedAt): DailyMetricsDoc {
  return { date, metrics: [{ eventType: 'page.viewed', count: 5 }], total: 5, computedAt: at };
}

describe('buildDayDocs', () => {
  it('writes a document for every day of the range, empty days included, most frequent type first', () => {
    const docs = buildDayDocs(
      { from: '2026-03-07', to: '2026-03-09' },
      [
        { date: '2026-03-07', eventType: 'a.b', count: 1 },
        { date: '2026-03-07', eventType: 'page.viewed', count: 3 },
        { date: '2026-03-09', eventType: 'a.b', count: 2 },
      ],
      computedAt,
    );
    expect(docs).toEqual([
      {
        date: '2026-03-07',
        metrics: [
          { eventType: 'page.viewed', count: 3 },
          { eventType: 'a.b', count: 1 },
        ],
        total: 4,
        computedAt,
      },
      { date: '2026-03-08', metrics: [], total: 0, computedAt },
      { date: '2026-03-09', metrics: [{ eventType: 'a.b', count: 2 }], total: 2, computedAt },
    ]);
  });
});

describe('isFinal', () => {
  it.each([
    ['computed after the day ended', '2026-03-09', '2026-03-10T00:00:00Z', true],
    ['computed while the day ran', '2026-03-09', '2026-03-09T23:59:59Z', false],
  ])('a document %s: %s', (_, date, at, final) => {
    expect(isFinal(doc(date, new Date(at)))).toBe(final);
  });
});

describe('planMetricsSources and metricsAnswer', () => {
  const days = ['2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'];

  it('answers final days from documents and the rest, from the first such day on, from the warehouse', () => {
    const docs = new Map([
      ['2026-03-07', doc('2026-03-07')],
      ['2026-03-08', doc('2026-03-08', new Date('2026-03-08T12:00:00Z'))],
      ['2026-03-09', doc('2026-03-09')],
    ]);
    const plan = planMetricsSources(days, docs);
    expect([...plan.stored.keys()]).toEqual(['2026-03-07', '2026-03-09']);
    expect(plan.live).toEqual({ from: '2026-03-08', to: '2026-03-10' });

    const answer = metricsAnswer(
      days,
      plan,
      [
        { date: '2026-03-08', eventType: 'page.viewed', count: 7 },
        // A live row for a day a document answers is ignored.
        { date: '2026-03-09', eventType: 'page.viewed', count: 99 },
        { date: '2026-03-10', eventType: 'a.b', count: 1 },
      ],
      undefined,
    );
    expect(answer).toEqual({
      count: 4,
      data: [
        { date: '2026-03-07', metrics: [{ eventType: 'page.viewed', count: 5 }] },
        { date: '2026-03-08', metrics: [{ eventType: 'page.viewed', count: 7 }] },
        { date: '2026-03-09', metrics: [{ eventType: 'page.viewed', count: 5 }] },
        { date: '2026-03-10', metrics: [{ eventType: 'a.b', count: 1 }] },
      ],
    });
  });

  it('needs no warehouse when every day has a final document', () => {
    const docs = new Map(days.slice(0, 3).map((d) => [d, doc(d)]));
    expect(planMetricsSources(days.slice(0, 3), docs).live).toBeUndefined();
  });

  it('lists one type, with zero on days without it, when asked for one', () => {
    const plan = planMetricsSources(
      ['2026-03-07', '2026-03-08'],
      new Map([['2026-03-07', doc('2026-03-07')]]),
    );
    expect(metricsAnswer(['2026-03-07', '2026-03-08'], plan, [], 'page.viewed').data).toEqual([
      { date: '2026-03-07', metrics: [{ eventType: 'page.viewed', count: 5 }] },
      { date: '2026-03-08', metrics: [{ eventType: 'page.viewed', count: 0 }] },
    ]);
  });
});
