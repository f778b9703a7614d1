export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export type RateLimit = { perSecond: number; burst: number };

/** Admits a request of `key` under `limit`, or says how long to wait. */
export interface RateLimiter {
  take(key: string, limit: RateLimit, cost?: number): RateDecision;
}

type Bucket = { tokens: number; updatedAt: number };

/**
 * A token bucket per key, held in the instance's memory: cheap enough to run on every
 * request. Alone it limits one instance; `SharedRateLimiter` gives each instance its
 * share of a limit that holds across instances.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  readonly #maxBuckets: number;

  /** `maxBuckets` bounds memory where keys are client addresses: the least recent go first. */
  constructor(now: () => number = Date.now, maxBuckets = Infinity) {
    this.#now = now;
    this.#maxBuckets = maxBuckets;
  }

  take(key: string, limit: RateLimit, cost = 1): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: limit.burst, updatedAt: now };
    const refilled = Math.min(
      limit.burst,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * limit.perSecond,
    );
    if (refilled >= cost) {
      this.#store(key, { tokens: refilled - cost, updatedAt: now });
      return { allowed: true };
    }
    this.#store(key, { tokens: refilled, updatedAt: now });
    const missing = Math.min(cost, limit.burst) - refilled;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / limit.perSecond)) };
  }

  #store(key: string, bucket: Bucket): void {
    if (this.#maxBuckets === Infinity) {
      this.#buckets.set(key, bucket);
      return;
    }
    // Re-inserted, so the map's order is least recently used first.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxBuckets) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }
}
