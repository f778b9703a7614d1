import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { LiveInstances } from './liveInstances.ts';
import type { RateDecision } from './rateLimiter.ts';
import type { RateShareStore } from './rateShareStore.ts';
import { shareOf, SharedRateLimiter, type SharedRateLimiterOptions } from './sharedRateLimiter.ts';

/** The store's contract in memory, with a count of its calls. */
class MemoryShareStore implements RateShareStore {
  readonly announced = new Map<string, number>();
  readonly shares = new Map<string, Map<string, { demand: number; expireAt: number }>>();
  exchanges = 0;
  failing = false;

  announce(instanceId: string, now: number, expireAt: number): Promise<number> {
    if (this.failing) return Promise.reject(new Error('unreachable'));
    this.announced.set(instanceId, expireAt);
    return this.instances(now);
  }

  instances(now: number): Promise<number> {
    if (this.failing) return Promise.reject(new Error('unreachable'));
    return Promise.resolve([...this.announced.values()].filter((at) => at > now).length);
  }

  exchange(
    subject: string,
    instanceId: string,
    demand: number,
    expireAt: number,
    now: number,
  ): Promise<number> {
    if (this.failing) return Promise.reject(new Error('unreachable'));
    this.exchanges += 1;
    const shares = this.shares.get(subject) ?? new Map();
    this.shares.set(subject, shares);
    shares.set(instanceId, { demand, expireAt });
    let total = 0;
    for (const share of shares.values()) if (share.expireAt > now) total += share.demand;
    return Promise.resolve(total);
  }
}

const limit = { perSecond: 200, burst: 400 };
const settings = {
  syncMs: 1000,
  leaseMs: 3000,
  windowMs: 10_000,
  unsharedFraction: 0.1,
  storeTimeoutMs: 2000,
};

function instancesOf(count: number, store: RateShareStore, clock: { now: number }) {
  const logger = createLogger({ level: 'silent' });
  const options = (id: number): SharedRateLimiterOptions => ({
    ...settings,
    store,
    instanceId: `instance-${id}`,
    instances: new LiveInstances(store, `instance-${id}`, { announceMs: 10_000, readMs: 1000 }),
    logger,
    now: () => clock.now,
  });
  return Array.from({ length: count }, (_, id) => new SharedRateLimiter(options(id)));
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Sends `perSecond` requests of one key for `seconds`, spread over the instances by
 * `route` (which instance takes request i); answers the accepted count per second.
 */
async function drive(
  instances: SharedRateLimiter[],
  clock: { now: number },
  options: {
    perSecond: number;
    seconds: number;
    route: (i: number) => number;
    key?: string;
    limit?: { perSecond: number; burst: number };
  },
): Promise<number[]> {
  const perSecond: number[] = [];
  const stepMs = 10;
  const perStep = (options.perSecond * stepMs) / 1000;
  let sent = 0;
  let owed = 0;
  for (let t = 0; t < options.seconds * 1000; t += stepMs) {
    clock.now += stepMs;
    owed += perStep;
    while (owed >= 1) {
      owed -= 1;
      const instance = instances[options.route(sent)]!;
      sent += 1;
      const second = Math.floor(t / 1000);
      perSecond[second] ??= 0;
      if (instance.take(options.key ?? 'key-1', options.limit ?? limit).allowed)
        perSecond[second] += 1;
    }
    await settle();
  }
  return perSecond;
}

/** Seven of every ten requests reach the first of three instances. */
const mostlyToTheFirst = (i: number) => (i % 10 < 7 ? 0 : (i % 10) % 2 === 0 ? 1 : 2);

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('SharedRateLimiter', () => {
  it('holds a key to its limit across four instances sent three times as much, within 10%', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(4, store, clock);
    const accepted = await drive(instances, clock, {
      perSecond: 600,
      seconds: 20,
      route: (i) => i % 4,
    });
    const steady = mean(accepted.slice(5));
    expect(steady / limit.perSecond).toBeGreaterThan(0.9);
    expect(steady / limit.perSecond).toBeLessThan(1.1);
    expect(instances.every((instance) => instance.instances === 4)).toBe(true);
  });

  it('gives the busier instance the larger share when traffic is uneven', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(3, store, clock);
    const accepted = await drive(instances, clock, {
      perSecond: 900,
      seconds: 20,
      route: mostlyToTheFirst,
    });
    const steady = mean(accepted.slice(5));
    expect(steady / limit.perSecond).toBeGreaterThan(0.9);
    expect(steady / limit.perSecond).toBeLessThan(1.1);
  });

  it('admits everything under the limit, however it is spread', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(4, store, clock);
    const accepted = await drive(instances, clock, {
      perSecond: 150,
      seconds: 10,
      route: (i) => (i * 7) % 4,
    });
    expect(accepted.slice(1).every((count) => count === 150)).toBe(true);
  });

  it('costs a quiet key no store operation', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(4, store, clock);
    // Five requests a second over four instances: far below what would need sharing.
    await drive(instances, clock, { perSecond: 5, seconds: 20, route: (i) => i % 4 });
    expect(store.exchanges).toBe(0);
  });

  it('fails open when the store cannot be reached: each instance limits alone', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(2, store, clock);
    await drive(instances, clock, { perSecond: 600, seconds: 10, route: (i) => i % 2 });
    store.failing = true;
    const accepted = await drive(instances, clock, {
      perSecond: 600,
      seconds: 15,
      route: (i) => i % 2,
    });
    // Once the shares lapse, each of the two instances admits the whole limit.
    expect(mean(accepted.slice(8)) / limit.perSecond).toBeGreaterThan(1.9);
    store.failing = false;
    const healed = await drive(instances, clock, {
      perSecond: 600,
      seconds: 10,
      route: (i) => i % 2,
    });
    expect(mean(healed.slice(4)) / limit.perSecond).toBeLessThan(1.1);
  });

  it('asks a refused request to wait as the whole limit would, not its small share', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(4, store, clock);
    // One a second over four instances: a share of a quarter each, four seconds a token.
    const slow = { perSecond: 1, burst: 2 };
    const accepted = await drive(instances, clock, {
      perSecond: 40,
      seconds: 10,
      route: (i) => i % 4,
      limit: slow,
    });
    expect(mean(accepted.slice(5))).toBeLessThanOrEqual(1.5);
    // Right after a request it admits, the instance's bucket is empty: a share's wait would be 4 s.
    while (!instances[0]!.take('key-1', slow).allowed) clock.now += 100;
    const refused: RateDecision = instances[0]!.take('key-1', slow);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('announces and counts once per instance, however many limiters it runs', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    let announced = 0;
    const announce = store.announce.bind(store);
    store.announce = (...args) => ((announced += 1), announce(...args));
    const logger = createLogger({ level: 'silent' });
    const instances = new LiveInstances(store, 'one', { announceMs: 10_000, readMs: 1000 });
    const limiters = [1, 2].map(
      () =>
        new SharedRateLimiter({
          ...settings,
          store,
          instanceId: 'one',
          instances,
          logger,
          now: () => clock.now,
        }),
    );
    for (const limiter of limiters) limiter.take('key-1', limit);
    await Promise.all(limiters.map((limiter) => limiter.sync()));
    expect(announced).toBe(1);
    expect(limiters.map((limiter) => limiter.instances)).toEqual([1, 1]);
  });

  it('keeps keys apart', async () => {
    const store = new MemoryShareStore();
    const clock = { now: 1_000_000 };
    const instances = instancesOf(2, store, clock);
    await drive(instances, clock, { perSecond: 600, seconds: 10, route: (i) => i % 2 });
    expect(instances[0]!.take('key-2', limit).allowed).toBe(true);
  });
});

describe('shareOf', () => {
  it('splits a limit in proportion to demand, with at least one request of burst', () => {
    expect(shareOf(limit, 150, 600, 5)).toEqual({ perSecond: 50, burst: 100, until: 5 });
    expect(shareOf(limit, 1, 10_000, 5)).toEqual({ perSecond: 0.02, burst: 1, until: 5 });
  });

  it('gives the whole limit to an instance alone, and none to one that asked for nothing', () => {
    expect(shareOf(limit, 50, 50, 5)).toEqual({ perSecond: 200, burst: 400, until: 5 });
    expect(shareOf(limit, 0, 300, 5)).toBeUndefined();
  });
});
