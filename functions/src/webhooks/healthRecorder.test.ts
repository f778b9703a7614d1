import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { newEndpoint, newEndpointId, type WebhookEndpoint } from './endpoint.ts';
import { combineHealth, foldShards, type HealthShard } from './endpointHealth.ts';
import type { DisabledReason, HealthVersion } from './endpointStore.ts';
import { EndpointHealthRecorder, type HealthOutcome, type HealthStore } from './healthRecorder.ts';

const t0 = new Date('2026-01-02T03:04:05.000Z').getTime();

/** The endpoint document and its shards in memory; every write noted with its time. */
class MemoryHealthStore implements HealthStore {
  endpoint: WebhookEndpoint;
  readonly shards = new Map<string, HealthShard>();
  readonly puts: { instanceId: string; at: number }[] = [];
  readonly disables: DisabledReason[] = [];
  failNextPut = false;
  /** While set, a write waits for it (a slow Firestore). */
  hold: Promise<void> | undefined;
  #versions = 0;
  readonly #clock: () => number;

  constructor(clock: () => number) {
    this.#clock = clock;
    const settings = { id: newEndpointId(), url: 'https://x.example/', description: null };
    this.endpoint = newEndpoint(
      { ...settings, eventTypes: ['*'], enabled: true, secrets: [] },
      new Date(t0),
    );
  }

  listHealth(): Promise<HealthShard[]> {
    return Promise.resolve([...this.shards.values()]);
  }
  async putHealth(
    _id: string,
    shard: HealthShard,
    expected: HealthVersion | undefined,
  ): Promise<HealthVersion | 'folded'> {
    await this.hold;
    if (this.failNextPut) {
      this.failNextPut = false;
      return Promise.reject(new Error('unavailable'));
    }
    if (expected && !this.shards.has(shard.instanceId)) return Promise.resolve('folded');
    this.shards.set(shard.instanceId, shard);
    this.puts.push({ instanceId: shard.instanceId, at: this.#clock() });
    this.#versions += 1;
    return Promise.resolve({ updateTime: this.#versions } as unknown as HealthVersion);
  }
  disable(_id: string, reason: DisabledReason): Promise<boolean> {
    if (!this.endpoint.enabled) return Promise.resolve(false);
    this.endpoint = { ...this.endpoint, enabled: false, disabledReason: reason };
    this.disables.push(reason);
    return Promise.resolve(true);
  }
  foldHealth(_id: string, instanceIds: readonly string[]): Promise<boolean> {
    const fold = new Set(instanceIds);
    const folded = foldShards(this.endpoint, [...this.shards.values()], fold);
    this.endpoint = { ...this.endpoint, ...folded };
    for (const id of fold) this.shards.delete(id);
    return Promise.resolve(true);
  }
  /** What the API shows. */
  figures() {
    return combineHealth(this.endpoint, [...this.shards.values()]);
  }
}

function world(limit = 100) {
  let now = t0;
  const clock = () => now;
  const store = new MemoryHealthStore(clock);
  const recorder = (instanceId: string) =>
    new EndpointHealthRecorder({
      store,
      disableAfterFailures: limit,
      logger: createLogger({ level: 'silent' }),
      instanceId,
      clock,
      // The fake clock moves on by what is waited for.
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      timers: false,
      writeIntervalMs: 1000,
      foldAfterMs: 600_000,
    });
  const at = (seconds: number) => {
    now = t0 + seconds * 1000;
  };
  return { store, recorder, at, clock };
}

const failure = (code = 'http_503'): HealthOutcome => ({
  kind: 'failed',
  error: { code, message: code },
  gone: code === 'endpoint_gone',
});
const success = (afterFailures = false): HealthOutcome => ({ kind: 'delivered', afterFailures });

async function fail(
  recorder: EndpointHealthRecorder,
  store: MemoryHealthStore,
  times: number,
  code = 'http_503',
) {
  const verdicts = [];
  for (let i = 0; i < times; i += 1)
    verdicts.push(await recorder.record(store.endpoint, failure(code)));
  return verdicts;
}

describe('EndpointHealthRecorder', () => {
  it('writes its shard at most once a second, from the delivery that finds a second passed', async () => {
    const { store, recorder, at } = world();
    const a = recorder('a');
    await fail(a, store, 1);
    for (let tenth = 1; tenth < 10; tenth += 1) {
      at(tenth / 10);
      await fail(a, store, 10);
    }
    expect(store.puts).toHaveLength(1);
    expect(store.figures().failedAttempts).toBe(1);
    at(1);
    await fail(a, store, 1);
    expect(store.puts.map((p) => p.at - t0)).toEqual([0, 1000]);
    expect(store.figures()).toMatchObject({ consecutiveFailures: 92, failedAttempts: 92 });
  });

  it('never writes for a healthy endpoint', async () => {
    const { store, recorder } = world();
    const a = recorder('a');
    for (let i = 0; i < 50; i += 1) expect(await a.record(store.endpoint, success())).toBeNull();
    await a.flush();
    expect(store.puts).toHaveLength(0);
  });

  it('disables the endpoint when the run across instances reaches the limit, not before', async () => {
    const { store, recorder, at } = world(10);
    const [a, b] = [recorder('a'), recorder('b')];
    expect(await fail(a, store, 5)).toEqual([null, null, null, null, null]);
    await fail(b, store, 4);
    await Promise.all([a.flush(), b.flush()]);
    expect(store.figures().consecutiveFailures).toBe(9);
    expect(store.endpoint.enabled).toBe(true);
    at(5);
    expect(await fail(b, store, 1)).toEqual(['consecutive_failures']);
    expect(store.endpoint).toMatchObject({
      enabled: false,
      disabledReason: 'consecutive_failures',
    });
    expect(store.disables).toEqual(['consecutive_failures']);
    expect(store.figures()).toMatchObject({ consecutiveFailures: 10, failedAttempts: 10 });
  });

  it('a delivery that may reach the limit waits for the next write (at most a second) to know', async () => {
    const { store, recorder, clock } = world(3);
    const a = recorder('a');
    await fail(a, store, 2);
    const before = clock();
    expect(await fail(a, store, 1)).toEqual(['consecutive_failures']);
    expect(clock() - before).toBe(1000);
    expect(store.puts).toHaveLength(2);
  });

  it('a 410 disables at once and is written with the next write', async () => {
    const { store, recorder } = world();
    const a = recorder('a');
    await fail(a, store, 1);
    expect(await fail(a, store, 1, 'endpoint_gone')).toEqual(['endpoint_gone']);
    expect(store.disables).toEqual(['endpoint_gone']);
    expect(store.figures()).toMatchObject({
      failedAttempts: 2,
      lastFailure: { code: 'endpoint_gone' },
    });
  });

  it('a success at another instance ends the run; later failures start a new one', async () => {
    const { store, recorder, at } = world();
    const [a, b] = [recorder('a'), recorder('b')];
    await fail(a, store, 5);
    await a.flush();
    at(3);
    // b knew of no failure, but this delivery had failed before: a run ended.
    expect(await b.record(store.endpoint, success(true))).toBeNull();
    expect(store.figures()).toMatchObject({ consecutiveFailures: 0, failedAttempts: 5 });
    expect(store.figures().recoveredAt).toEqual(new Date(t0 + 3000));
    at(4);
    await fail(a, store, 2);
    await a.flush();
    expect(store.figures()).toMatchObject({ consecutiveFailures: 2, failedAttempts: 7 });
    // A success that ends no run known to b writes nothing.
    at(10);
    const puts = store.puts.length;
    await b.record(store.endpoint, success());
    expect(store.puts).toHaveLength(puts);
  });

  it('enabling the endpoint again starts a fresh run for every instance', async () => {
    const { store, recorder, at } = world(10);
    const a = recorder('a');
    await fail(a, store, 6);
    await a.flush();
    at(5);
    store.endpoint = {
      ...store.endpoint,
      consecutiveFailures: 0,
      runStartedAt: new Date(t0 + 5000),
    };
    expect(store.figures().consecutiveFailures).toBe(0);
    at(6);
    await fail(a, store, 9);
    await a.flush();
    expect(store.endpoint.enabled).toBe(true);
    expect(store.figures()).toMatchObject({ consecutiveFailures: 9, failedAttempts: 15 });
  });

  it('folds a quiet instance’s shard into the endpoint, and that instance counts nothing twice', async () => {
    const { store, recorder, at } = world();
    const [a, b] = [recorder('a'), recorder('b')];
    await fail(b, store, 4);
    await b.flush();
    at(700);
    await fail(a, store, 1);
    expect([...store.shards.keys()]).toEqual(['a']);
    expect(store.figures()).toMatchObject({ consecutiveFailures: 5, failedAttempts: 5 });
    at(701);
    await fail(b, store, 2);
    await b.flush();
    expect(store.figures()).toMatchObject({ consecutiveFailures: 7, failedAttempts: 7 });
  });

  it('failures recorded while a write is on its way go into the next one', async () => {
    const { store, recorder, at } = world();
    const a = recorder('a');
    let release: (() => void) | undefined;
    store.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = a.record(store.endpoint, failure());
    await new Promise((resolve) => setImmediate(resolve));
    await fail(a, store, 3);
    release?.();
    await first;
    expect(store.figures().failedAttempts).toBe(1);
    at(1);
    await a.flush();
    expect(store.figures()).toMatchObject({ consecutiveFailures: 4, failedAttempts: 4 });
  });

  it('a write that fails is made by a later one; the delivery is not failed for it', async () => {
    const { store, recorder, at } = world();
    const a = recorder('a');
    store.failNextPut = true;
    expect(await fail(a, store, 1)).toEqual([null]);
    expect(store.puts).toHaveLength(0);
    at(1);
    await fail(a, store, 1);
    expect(store.figures()).toMatchObject({ consecutiveFailures: 2, failedAttempts: 2 });
  });
});
