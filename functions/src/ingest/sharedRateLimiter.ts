import type { Logger } from '../lib/logger.ts';
import { mapLimit } from '../lib/mapLimit.ts';
import {
  TokenBucketRateLimiter,
  type RateDecision,
  type RateLimit,
  type RateLimiter,
} from './rateLimiter.ts';
import type { LiveInstances } from './liveInstances.ts';
import type { RateShareStore } from './rateShareStore.ts';

export type SharedRateLimiterOptions = {
  store: RateShareStore;
  instanceId: string;
  logger: Logger;
  now?: () => number;
  /** Subjects (keys, addresses) remembered; the least recently used go first. */
  maxSubjects?: number;
  /** How often an instance reports the demand of its shared subjects and reads the total. */
  syncMs: number;
  /** How long a share holds without a sync: then the instance limits alone (fails open). */
  leaseMs: number;
  /** How many instances share the limits: one per instance, for all its limiters. */
  instances: LiveInstances;
  /** The window over which a subject's local count decides whether it is shared. */
  windowMs: number;
  /** What subjects not shared may add to a limit across all instances, as a fraction. */
  unsharedFraction: number;
  /** A store call that takes longer counts as failed. */
  storeTimeoutMs: number;
};

type Share = { perSecond: number; burst: number; until: number };

type Subject = {
  key: string;
  limit: RateLimit;
  /** Requests counted per window slot of a tenth of the window, newest last. */
  slots: number[];
  slotStart: number;
  /** Counted since `syncedAt`, while shared: the demand the next sync reports. */
  sinceSync: number;
  syncedAt: number;
  share: Share | undefined;
};

const slotsPerWindow = 10;

/**
 * A limit that holds across instances. Each instance limits a subject with a token
 * bucket in memory, at the whole limit while the subject is quiet on it. A subject busy
 * enough on one instance (its count over the window could add more than
 * `unsharedFraction` of the limit if every instance saw as much) becomes shared there:
 * once a `syncMs` the instance reports its demand to the store and reads the total of
 * every instance's, and limits the subject to its share, in proportion to its demand
 * (shares add up to the limit). So only busy subjects cost store operations, one write
 * and one aggregate read per instance and second, and `take` never waits on the store.
 * When the store cannot be reached, shares lapse after `leaseMs` and each instance
 * limits alone: the limit fails open, to what one instance allows.
 */
export class SharedRateLimiter implements RateLimiter {
  readonly #options: SharedRateLimiterOptions;
  readonly #now: () => number;
  readonly #buckets: TokenBucketRateLimiter;
  readonly #subjects = new Map<string, Subject>();
  /** The keys of the subjects shared on this instance. */
  readonly #shared = new Set<string>();
  readonly #maxSubjects: number;
  #lastSync: number;
  #syncing: Promise<void> | undefined;
  #failing = false;
  #closed = false;

  constructor(options: SharedRateLimiterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#maxSubjects = options.maxSubjects ?? Infinity;
    this.#buckets = new TokenBucketRateLimiter(this.#now, this.#maxSubjects);
    // The first request syncs at once, so the instance is counted from the start.
    this.#lastSync = -Infinity;
  }

  /** Instances alive as last read; 1 until the store first answers. */
  get instances(): number {
    return this.#options.instances.count;
  }

  take(key: string, limit: RateLimit, cost = 1): RateDecision {
    const now = this.#now();
    const subject = this.#count(key, limit, cost, now);
    if (!this.#shared.has(key) && windowCount(subject) >= this.#sharedAbove(limit)) {
      this.#shared.add(key);
      subject.sinceSync = cost;
      subject.syncedAt = now;
    }
    if (now - this.#lastSync >= this.#options.syncMs || this.#options.instances.announceDue(now))
      void this.sync();
    const share = subject.share && subject.share.until > now ? subject.share : undefined;
    const decision = this.#buckets.take(key, share ?? limit, cost);
    if (decision.allowed || !share) return decision;
    // The wait is the whole limit's: any instance may take the next request.
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(cost / limit.perSecond)) };
  }

  /** Reports the shared subjects' demand and takes their new shares; one at a time. */
  sync(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#syncing ??= this.#exchange().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  /** Stops syncing, once the one in flight is done: the store is about to close. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#syncing;
  }

  /** The local count above which a subject is shared: one instance's part of the slack. */
  #sharedAbove(limit: RateLimit): number {
    const { windowMs, unsharedFraction } = this.#options;
    const slack =
      (unsharedFraction * limit.perSecond * windowMs) / 1000 / this.#options.instances.count;
    return Math.max(2, Math.floor(slack) + 1);
  }

  #count(key: string, limit: RateLimit, cost: number, now: number): Subject {
    let subject = this.#subjects.get(key);
    if (subject) this.#subjects.delete(key);
    subject ??= {
      key,
      limit,
      slots: Array.from({ length: slotsPerWindow }, () => 0),
      slotStart: now,
      sinceSync: 0,
      syncedAt: now,
      share: undefined,
    };
    subject.limit = limit;
    this.#rotate(subject, now);
    subject.slots[slotsPerWindow - 1]! += cost;
    subject.sinceSync += cost;
    // Re-inserted, so the map's order is least recently used first.
    this.#subjects.set(key, subject);
    if (this.#subjects.size > this.#maxSubjects) {
      const oldest = this.#subjects.keys().next().value;
      if (oldest !== undefined) {
        this.#subjects.delete(oldest);
        this.#shared.delete(oldest);
      }
    }
    return subject;
  }

  /** Drops the slots that fell out of the window. */
  #rotate(subject: Subject, now: number): void {
    const slotMs = this.#options.windowMs / slotsPerWindow;
    const elapsed = Math.floor((now - subject.slotStart) / slotMs);
    if (elapsed <= 0) return;
    const dropped = Math.min(slotsPerWindow, elapsed);
    subject.slots.splice(0, dropped);
    subject.slots.push(...Array.from({ length: dropped }, () => 0));
    subject.slotStart = elapsed > slotsPerWindow ? now : subject.slotStart + elapsed * slotMs;
  }

  async #exchange(): Promise<void> {
    const { store, instanceId, leaseMs, instances, storeTimeoutMs } = this.#options;
    const now = this.#now();
    this.#lastSync = now;
    const shared = this.#stillShared(now);
    if (!instances.announceDue(now) && shared.length === 0) return;
    try {
      await within(storeTimeoutMs, instances.refresh(now));
      // A subject shared only just now waits a round: a rate over a few milliseconds says little.
      const measured = shared.filter(
        (subject) => now - subject.syncedAt >= this.#options.syncMs / 2,
      );
      await mapLimit(measured, 8, async (subject) => {
        const demand = subject.sinceSync / Math.max(0.001, (now - subject.syncedAt) / 1000);
        subject.sinceSync = 0;
        subject.syncedAt = now;
        const total = await within(
          storeTimeoutMs,
          store.exchange(subject.key, instanceId, demand, now + leaseMs, now),
        );
        subject.share = shareOf(subject.limit, demand, total, now + leaseMs);
      });
      if (this.#failing) this.#options.logger.info('rate limit shares reachable again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing)
        this.#options.logger.warn(
          { err: error },
          'rate limit shares unreachable: each instance limits alone until they answer',
        );
      this.#failing = true;
    }
  }

  /** The shared subjects still busy enough; the others go back to limiting alone. */
  #stillShared(now: number): Subject[] {
    const shared: Subject[] = [];
    for (const key of this.#shared) {
      const subject = this.#subjects.get(key);
      if (subject) this.#rotate(subject, now);
      if (subject && windowCount(subject) >= this.#sharedAbove(subject.limit)) {
        shared.push(subject);
        continue;
      }
      this.#shared.delete(key);
      if (subject) subject.share = undefined;
    }
    return shared;
  }
}

/** A subject's share of its limit: in proportion to its demand among every instance's. */
export function shareOf(
  limit: RateLimit,
  demand: number,
  total: number,
  until: number,
): Share | undefined {
  // Nothing asked for here since the last sync: the bucket keeps the whole limit, and
  // spends it only as fast as this instance's next requests arrive.
  if (demand <= 0) return undefined;
  const fraction = Math.min(1, demand / Math.max(total, demand));
  return {
    perSecond: limit.perSecond * fraction,
    burst: Math.max(1, limit.burst * fraction),
    until,
  };
}

function windowCount(subject: Subject): number {
  return subject.slots.reduce((sum, count) => sum + count, 0);
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
