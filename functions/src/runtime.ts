import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { topics } from '../../infra/spec.ts';
import { createFirestore, createPubSub } from './lib/clients.ts';
import type { Config } from './lib/config.ts';
import { SecretBox } from './lib/encryption.ts';
import { GroupCommit } from './lib/groupCommit.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { PubSubPublisher, type Publisher } from './lib/publisher.ts';
import type { RuntimeOverrides } from './runtimeOverrides.ts';
import { createWarehouse } from './warehouse/createWarehouse.ts';
import type { Warehouse } from './warehouse/warehouse.ts';

export type { RuntimeOverrides } from './runtimeOverrides.ts';

/**
 * What every function shares: the config, the logger, the clients (created on first
 * use) and the stores and queues built on them. Each function's own dependencies are
 * built by its entry module (`entries/`) from these, once per runtime (`shared`), so a
 * function loads and builds what it uses and nothing of the others.
 */
export class Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly overrides: RuntimeOverrides;
  #firestore: Firestore | undefined;
  #pubsub: PubSub | undefined;
  #publisher: PubSubPublisher | undefined;
  #eventQueue: GroupCommit | undefined;
  #warehouse: Warehouse | undefined;
  readonly #shared = new Map<string, unknown>();
  readonly #closers: (() => Promise<void>)[] = [];

  constructor(config: Config, overrides: RuntimeOverrides = {}) {
    this.config = config;
    this.overrides = overrides;
    this.logger = overrides.logger ?? createLogger({ level: config.logLevel });
  }

  /** One value per runtime and key, built on first use: a function's dependencies. */
  shared<T>(key: string, build: () => T): T {
    if (!this.#shared.has(key)) this.#shared.set(key, build());
    return this.#shared.get(key) as T;
  }

  /** Something to close when the function stops, after what it publishes is sent. */
  onClose(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  get firestore(): Firestore {
    this.#firestore ??= createFirestore(this.config);
    return this.#firestore;
  }

  get pubsub(): PubSub {
    this.#pubsub ??= createPubSub(this.config);
    return this.#pubsub;
  }

  /**
   * Every function's publisher. Each message goes out at once: ingest's events already
   * share messages through the event queue, and a subscriber's acknowledgement waits on
   * its publishes, so a batch window would only add its wait.
   */
  get publisher(): Publisher {
    if (this.overrides.publisher) return this.overrides.publisher;
    this.#publisher ??= new PubSubPublisher(this.pubsub, {
      timeoutMs: this.config.publishTimeoutMs,
      batchWindowMs: 0,
    });
    return this.#publisher;
  }

  /**
   * Accepted events on their way to `events`: each instance's single calls, batches,
   * uploads and replays share messages while a publish is in flight.
   */
  get eventQueue(): GroupCommit {
    this.#eventQueue ??= new GroupCommit(this.publisher, topics.events.name, {
      limits: this.config.messageLimits,
      maxWaitMs: this.config.groupCommitMaxWaitMs,
    });
    return this.#eventQueue;
  }

  /** BigQuery or the local DuckDB file, loaded on first use. */
  get warehouse(): Warehouse {
    if (this.overrides.warehouse) return this.overrides.warehouse;
    this.#warehouse ??= createWarehouse(this.config, this.logger);
    return this.#warehouse;
  }

  /** The calendar of the metrics (which day is today). */
  readonly now = (): Date => (this.overrides.now ?? (() => new Date()))();

  get secretBox(): SecretBox | undefined {
    const keys = this.config.encryptionKeys;
    return keys ? new SecretBox(keys.current, keys.previous) : undefined;
  }

  /** Sends what waits and what the publisher holds, then closes everything opened. */
  async close(): Promise<void> {
    await this.#eventQueue?.flush();
    await this.#publisher?.flush();
    await Promise.all([...this.#closers.map((close) => close()), this.#warehouse?.close()]);
    await Promise.all([this.#pubsub?.close(), this.#firestore?.terminate()]);
  }
}
