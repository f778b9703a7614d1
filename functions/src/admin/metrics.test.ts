import { describe, expect, it } from 'vitest';
import { percentiles, recentHours } from './metrics.ts';

describe('percentiles', () => {
  it.each([
    [[], { sampleSize: 0, meanMs: null, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null }],
    [[7], { sampleSize: 1, meanMs: 7, p50Ms: 7, p90Ms: 7, p99Ms: 7, maxMs: 7 }],
    [
      Array.from({ length: 100 }, (_, i) => 100 - i),
      { sampleSize: 100, meanMs: 50.5, p50Ms: 50, p90Ms: 90, p99Ms: 99, maxMs: 100 },
    ],
    [[5, 1, 3, 2, 4], { sampleSize: 5, meanMs: 3, p50Ms: 3, p90Ms: 5, p99Ms: 5, maxMs: 5 }],
  ])('of %j', (values, expected) => {
    expect(percentiles(values)).toEqual(expected);
  });
});

describe('recentHours', () => {
  it('lists UTC hours newest first, the current one included', () => {
    expect(recentHours(new Date('2026-01-02T01:30:00Z'), 3)).toEqual([
      '2026-01-02T01',
      '2026-01-02T00',
      '2026-01-01T23',
    ]);
  });
});
