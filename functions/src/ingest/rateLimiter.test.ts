import { describe, expect, it } from 'vitest';
import { TokenBucketRateLimiter } from './rateLimiter.ts';

describe('TokenBucketRateLimiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    let now = 0;
    const limiter = new TokenBucketRateLimiter(() => now);
    const limit = { perSecond: 2, burst: 3 };
    expect([1, 2, 3].map(() => limiter.take('k', limit).allowed)).toEqual([true, true, true]);
    expect(limiter.take('k', limit)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = 500; // one token back
    expect(limiter.take('k', limit).allowed).toBe(true);
    expect(limiter.take('k', limit).allowed).toBe(false);
  });

  it('keeps keys apart', () => {
    const limiter = new TokenBucketRateLimiter(() => 0);
    const limit = { perSecond: 1, burst: 1 };
    expect(limiter.take('a', limit).allowed).toBe(true);
    expect(limiter.take('b', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(false);
  });

  it('tells how long to wait', () => {
    const limiter = new TokenBucketRateLimiter(() => 0);
    const limit = { perSecond: 0.25, burst: 1 };
    limiter.take('k', limit);
    expect(limiter.take('k', limit)).toEqual({ allowed: false, retryAfterSeconds: 4 });
  });

  it('bounded, forgets the least recently used bucket first', () => {
    const limiter = new TokenBucketRateLimiter(() => 0, 2);
    const limit = { perSecond: 1, burst: 1 };
    expect(limiter.take('a', limit).allowed).toBe(true);
    expect(limiter.take('b', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(false);
    // `c` evicts `b`, the least recently used: `b` starts again full, `a` stays empty.
    expect(limiter.take('c', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(false);
    expect(limiter.take('b', limit).allowed).toBe(true);
  });
});
