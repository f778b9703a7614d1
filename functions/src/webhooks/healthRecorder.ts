import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.ts';
import type { DeliveryError } from './delivery.ts';
import type { WebhookEndpoint } from './endpoint.ts';
import { combineHealth, runStart, type HealthShard } from './endpointHealth.ts';
import type { DisabledReason, EndpointStore } from './endpointStore.ts';
import { HealthTally } from './healthTally.ts';

/** What one attempt says about its endpoint. */
export type HealthOutcome =
  /** `afterFailures`: the same delivery had failed before. */
  | { kind: 'delivered'; afterFailures: boolean }
  /** `gone`: the receiver answered 410, which disables the endpoint at once. */
  | { kind: 'failed'; error: DeliveryError; gone: boolean };

/** Keeps an endpoint's health; says when an outcome leaves the endpoint disabled. */
export interface HealthRecorder {
  record(endpoint: WebhookEndpoint, outcome: HealthOutcome): Promise<DisabledReason | null>;
  /** Writes what is pending, each shard still at most once a second (on close). */
  flush(): Promise<void>;
}

export type HealthStore = Pick<
  EndpointStore,
  'listHealth' | 'putHealth' | 'disable' | 'foldHealth'
>;

export type HealthRecorderOptions = {
  store: HealthStore;
  disableAfterFailures: number;
  logger: Logger;
  /** This instance's shard id; random per process. */
  instanceId?: string;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** A best-effort timer writes what no later delivery of the instance came to write. */
  timers?: boolean;
  /** The least time between two writes of one shard. */
  writeIntervalMs?: number;
  /** Other instances' shards not written for this long are folded into the endpoint. */
  foldAfterMs?: number;
};

/**
 * An endpoint's health, kept in memory per instance and written to the instance's own
 * shard at most once a second: by the delivery that finds a second passed since the
 * last write (so it works when the CPU is throttled between requests), by a best-effort
 * timer, and on close. A delivery whose outcome matters at once (410, a run that may
 * have reached the limit) waits for the next write, at most a second; a success that
 * ends a run never waits (it goes with the next write). At each write the shards are
 * read (one query) and combined: a run that has reached `disableAfterFailures` disables
 * the endpoint, the one write to its document.
 */
export class EndpointHealthRecorder implements HealthRecorder {
  readonly instanceId: string;
  readonly #store: HealthStore;
  readonly #limit: number;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #timers: boolean;
  readonly #interval: number;
  readonly #foldAfter: number;
  readonly #tallies = new Map<string, HealthTally>();

  constructor(options: HealthRecorderOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.#store = options.store;
    this.#limit = options.disableAfterFailures;
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    this.#timers = options.timers ?? true;
    this.#interval = options.writeIntervalMs ?? 1000;
    this.#foldAfter = options.foldAfterMs ?? 600_000;
  }

  async record(endpoint: WebhookEndpoint, outcome: HealthOutcome): Promise<DisabledReason | null> {
    const tally = this.#tally(endpoint);
    const now = this.#clock();
    if (outcome.kind === 'delivered') {
      if (tally.ownRun() + tally.othersRun === 0 && !outcome.afterFailures) return null;
      tally.endRun(now);
      // Nothing waits on a success: it is written now if a write is due, else with the next.
      if (!tally.writing && now - tally.lastWriteAt >= this.#interval) await this.#writeSoon(tally);
      else this.#arm(tally);
      return null;
    }
    tally.addFailure(outcome.error, now);
    if (outcome.gone) {
      const disabling = tally.disabled ? undefined : this.#disable(tally, 'endpoint_gone');
      await Promise.all([disabling, this.#writeSoon(tally)]);
      return 'endpoint_gone';
    }
    const due = !tally.writing && now - tally.lastWriteAt >= this.#interval;
    const atLimit = !tally.disabled && tally.ownRun() + tally.othersRun >= this.#limit;
    if (due || atLimit) await this.#writeSoon(tally);
    else this.#arm(tally);
    return tally.disabled?.reason ?? null;
  }

  async flush(): Promise<void> {
    const tallies = [...this.#tallies.values()];
    for (const tally of tallies) {
      if (tally.timer) clearTimeout(tally.timer);
      tally.timer = null;
    }
    await Promise.all(tallies.map((tally) => this.#writeSoon(tally)));
  }

  #tally(endpoint: WebhookEndpoint): HealthTally {
    let tally = this.#tallies.get(endpoint.id);
    if (!tally) this.#tallies.set(endpoint.id, (tally = new HealthTally(endpoint)));
    tally.endpoint = endpoint;
    const reset = endpoint.runStartedAt;
    // Enabled again (or shards folded) since: the run starts over from there.
    if (reset && (!tally.runStartedAt || reset > tally.runStartedAt)) {
      tally.moveRunTo(reset);
      tally.othersRun = endpoint.consecutiveFailures;
      if (tally.disabled && reset.getTime() > tally.disabled.at) tally.disabled = null;
    }
    return tally;
  }

  /** Returns once what was recorded so far is written (or a write failed). */
  async #writeSoon(tally: HealthTally): Promise<void> {
    const target = tally.changes;
    while (tally.written < target) {
      if (tally.writing) {
        await tally.writing;
        continue;
      }
      const wait = tally.lastWriteAt + this.#interval - this.#clock();
      if (wait > 0) {
        tally.pause ??= this.#sleep(wait).finally(() => {
          tally.pause = null;
        });
        await tally.pause;
        continue;
      }
      tally.writing = this.#write(tally).finally(() => {
        tally.writing = null;
      });
      if (!(await tally.writing)) return;
    }
  }

  #arm(tally: HealthTally): void {
    if (!this.#timers || tally.timer) return;
    const wait = Math.max(0, tally.lastWriteAt + this.#interval - this.#clock());
    tally.timer = setTimeout(() => {
      tally.timer = null;
      void this.#writeSoon(tally);
    }, wait);
    tally.timer.unref();
  }

  /** One shard write, after reading the shards; false if it failed (tried again later). */
  async #write(tally: HealthTally): Promise<boolean> {
    try {
      const shards = await this.#store.listHealth(tally.id);
      const others = shards.filter((shard) => shard.instanceId !== this.instanceId);
      if (tally.version && others.length === shards.length) tally.forgetWritten();
      // A second from the last write, to the millisecond (a timer may fire one early).
      for (let wait = 1; wait > 0;) {
        wait = tally.lastWriteAt + this.#interval - this.#clock();
        if (wait > 0) await this.#sleep(wait);
      }
      tally.lastWriteAt = this.#clock();
      // What the shard holds: the changes recorded up to now, not those made while it is written.
      let [shard, changes] = [this.#shard(tally, others), tally.changes];
      let version = await this.#store.putHealth(tally.id, shard, tally.version);
      if (version === 'folded') {
        tally.forgetWritten();
        [shard, changes] = [this.#shard(tally, others), tally.changes];
        version = await this.#store.putHealth(tally.id, shard, undefined);
      }
      if (version === 'folded') return false;
      tally.version = version;
      tally.lastPutAt = shard.updatedAt.getTime();
      tally.writtenFailedAttempts = shard.failedAttempts;
      tally.written = changes;
      const run = combineHealth(tally.endpoint, [...others, shard]).consecutiveFailures;
      tally.othersRun = run - shard.runFailures;
      if (run >= this.#limit && !tally.disabled) await this.#disable(tally, 'consecutive_failures');
      await this.#foldIdle(tally, others);
      return true;
    } catch (error) {
      // Tried again a second on, by a later delivery or the timer.
      tally.lastWriteAt = this.#clock();
      this.#logger.warn(
        { err: error, endpointId: tally.id },
        'webhook endpoint health not written',
      );
      return false;
    }
  }

  /** This instance's shard as it stands: its run moved up to the run's start first. */
  #shard(tally: HealthTally, others: readonly HealthShard[]): HealthShard {
    tally.moveRunTo(runStart(tally.endpoint, [...others, tally]));
    return tally.shard(this.instanceId, this.#clock());
  }

  async #disable(tally: HealthTally, reason: DisabledReason): Promise<void> {
    tally.disabling ??= this.#store
      .disable(tally.id, reason, new Date(this.#clock()))
      .then(
        () => {
          tally.disabled = { reason, at: this.#clock() };
        },
        (error: unknown) => {
          this.#logger.warn({ err: error, endpointId: tally.id }, 'webhook endpoint not disabled');
        },
      )
      .finally(() => {
        tally.disabling = null;
      });
    await tally.disabling;
  }

  /** Shards of instances gone quiet go into the endpoint document, so shards stay few. */
  async #foldIdle(tally: HealthTally, others: readonly HealthShard[]): Promise<void> {
    const now = this.#clock();
    const idle = others.filter((shard) => now - shard.updatedAt.getTime() >= this.#foldAfter);
    if (idle.length === 0) return;
    const ids = idle.map((shard) => shard.instanceId);
    if (await this.#store.foldHealth(tally.id, ids, this.#foldAfter)) {
      this.#logger.info({ endpointId: tally.id, shards: ids.length }, 'webhook health folded');
    }
  }
}
