import { describe, expect, it } from 'vitest';
import { PlanCache } from './planCache.ts';
import { emptyPlan, type PublishedPlan } from './trackingPlan.ts';

function planAt(revision: number): PublishedPlan {
  return {
    revision,
    settings: { unplanned: 'quarantine', violations: 'allow' },
    types: new Map(),
  };
}

/** A store whose reads are counted and answered by hand (or at once with `next`). */
class Store {
  reads = 0;
  next: PublishedPlan | Error = planAt(1);
  readonly pending: Array<{ resolve: (plan: PublishedPlan) => void; reject: (e: Error) => void }> =
    [];
  manual = false;

  read = (): Promise<PublishedPlan> => {
    this.reads += 1;
    if (this.manual)
      return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
    return this.next instanceof Error ? Promise.reject(this.next) : Promise.resolve(this.next);
  };
}

const maxAgeMs = 30_000;

function cacheOver(store: Store) {
  const clock = { now: 1_000_000 };
  const cache = new PlanCache(store.read, { maxAgeMs, clock: () => clock.now });
  return { cache, clock };
}

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

describe('PlanCache.current', () => {
  it('reads once, then answers from what it holds within the max age', async () => {
    const store = new Store();
    const { cache, clock } = cacheOver(store);
    expect(await cache.current()).toEqual(planAt(1));
    clock.now += maxAgeMs - 1;
    store.next = planAt(2);
    expect((await cache.current()).revision).toBe(1);
    expect(await cache.current(1)).toBe(await cache.current());
    expect(store.reads).toBe(1);
  });

  it('reads again once the plan is older than the max age', async () => {
    const store = new Store();
    const { cache, clock } = cacheOver(store);
    await cache.current();
    store.next = planAt(2);
    clock.now += maxAgeMs;
    expect((await cache.current()).revision).toBe(2);
    expect(store.reads).toBe(2);
    // The clock restarts with the new read.
    clock.now += maxAgeMs - 1;
    expect((await cache.current()).revision).toBe(2);
    expect(store.reads).toBe(2);
  });

  it('reads again at once when asked for a newer revision than it holds', async () => {
    const store = new Store();
    const { cache } = cacheOver(store);
    await cache.current();
    store.next = planAt(5);
    expect((await cache.current(5)).revision).toBe(5);
    expect(store.reads).toBe(2);
    // An older or equal revision is satisfied by what is held.
    expect((await cache.current(3)).revision).toBe(5);
    expect((await cache.current(5)).revision).toBe(5);
    expect(store.reads).toBe(2);
  });

  it('a read answering an older revision than held does not replace the plan', async () => {
    const store = new Store();
    const { cache, clock } = cacheOver(store);
    store.next = planAt(4);
    await cache.current();
    store.next = planAt(3);
    clock.now += maxAgeMs;
    expect((await cache.current()).revision).toBe(4);
    expect(store.reads).toBe(2);
  });

  it('concurrent callers share one read', async () => {
    const store = new Store();
    store.manual = true;
    const { cache } = cacheOver(store);
    const callers = [cache.current(), cache.current(2), cache.current()];
    await settle();
    expect(store.reads).toBe(1);
    store.pending[0]!.resolve(planAt(2));
    const plans = await Promise.all(callers);
    expect(plans.map((plan) => plan.revision)).toEqual([2, 2, 2]);
    expect(new Set(plans).size).toBe(1);
    // And the next read, once that one is done, is a new one.
    const later = cache.current(3);
    await settle();
    expect(store.reads).toBe(2);
    store.pending[1]!.resolve(planAt(3));
    expect((await later).revision).toBe(3);
  });

  it('a failed read keeps the plan held (stale, never absent)', async () => {
    const store = new Store();
    const { cache, clock } = cacheOver(store);
    const first = await cache.current();
    store.next = new Error('firestore down');
    clock.now += maxAgeMs;
    expect(await cache.current()).toBe(first);
    // Within the back-off after a failure the held plan serves without another read.
    expect(await cache.current(9)).toBe(first);
    expect(store.reads).toBe(2);
    // Once the back-off is over and the store answers again, the new plan is read.
    store.next = planAt(9);
    clock.now += 5_000;
    expect((await cache.current(9)).revision).toBe(9);
    expect(store.reads).toBe(3);
  });

  it('a failed first read throws, and the next call reads again', async () => {
    const store = new Store();
    store.next = new Error('firestore down');
    const { cache } = cacheOver(store);
    await expect(cache.current()).rejects.toThrow('firestore down');
    store.next = planAt(1);
    expect((await cache.current()).revision).toBe(1);
    expect(store.reads).toBe(2);
  });
});

describe('PlanCache.held', () => {
  it('answers the empty plan before any read, and starts one', async () => {
    const store = new Store();
    store.manual = true;
    const { cache } = cacheOver(store);
    expect(cache.held()).toBe(emptyPlan);
    expect(store.reads).toBe(1);
    // A second look while the read is under way does not start another.
    expect(cache.held()).toBe(emptyPlan);
    expect(store.reads).toBe(1);
    store.pending[0]!.resolve(planAt(7));
    await settle();
    expect(cache.held().revision).toBe(7);
    expect(store.reads).toBe(1);
  });

  it('answers the stale plan at once and refreshes it behind', async () => {
    const store = new Store();
    const { cache, clock } = cacheOver(store);
    await cache.current();
    clock.now += maxAgeMs;
    store.next = planAt(2);
    expect(cache.held().revision).toBe(1);
    expect(store.reads).toBe(2);
    await settle();
    expect(cache.held().revision).toBe(2);
    expect(store.reads).toBe(2);
  });

  it('a failed background read is swallowed and the held plan stays', async () => {
    const store = new Store();
    store.next = new Error('firestore down');
    const { cache, clock } = cacheOver(store);
    expect(cache.held()).toBe(emptyPlan);
    await settle();
    // A failure backs off: no read per call while the store is down.
    expect(cache.held()).toBe(emptyPlan);
    expect(store.reads).toBe(1);
    clock.now += 5_000;
    expect(cache.held()).toBe(emptyPlan);
    await settle();
    expect(store.reads).toBe(2);
  });
});
