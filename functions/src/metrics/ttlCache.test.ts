import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttlCache.ts';

function setup(ttlMs = 1000) {
  let now = 0;
  let computations = 0;
  const cache = new TtlCache<number>({ ttlMs, clock: () => now, maxEntries: 2 });
  const compute = () => {
    computations += 1;
    return Promise.resolve(computations);
  };
  return {
    cache,
    compute,
    advance: (ms: number) => (now += ms),
    computations: () => computations,
  };
}

describe('TtlCache', () => {
  it('shares one computation among concurrent and later callers within the time to live', async () => {
    const { cache, compute, advance, computations } = setup();
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.get('k', compute)));
    expect(new Set(burst)).toEqual(new Set([1]));
    advance(999);
    expect(await cache.get('k', compute)).toBe(1);
    advance(1);
    expect(await cache.get('k', compute)).toBe(2);
    expect(computations()).toBe(2);
  });

  it('forgets a failed computation at once', async () => {
    const { cache } = setup();
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', () => Promise.resolve(7))).toBe(7);
  });

  it('keeps at most its number of entries, dropping the oldest', async () => {
    const { cache, compute, computations } = setup();
    await cache.get('a', compute);
    await cache.get('b', compute);
    await cache.get('c', compute);
    await cache.get('b', compute);
    expect(computations()).toBe(3);
    await cache.get('a', compute);
    expect(computations()).toBe(4);
  });
});
