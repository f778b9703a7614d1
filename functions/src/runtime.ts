import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { ApiDeps } from './admin/apiHandler.ts';
import { ApiKeyAuthenticator, FirestoreApiKeyStore } from './ingest/apiKeys.ts';
import { FirestoreIdempotencyStore } from './ingest/idempotency.ts';
import type { IngestDeps } from './ingest/ingestHandler.ts';
import { TokenBucketRateLimiter } from './ingest/rateLimiter.ts';
import { createFirestore, createPubSub } from './lib/clients.ts';
import type { Config } from './lib/config.ts';
import { defaults } from './lib/defaults.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { PubSubPublisher, type Publisher } from './lib/publisher.ts';
import { FirestoreEventStatusStore, type EventStatusStore } from './process/eventStatusStore.ts';
import type { ProcessDeps } from './process/processEvent.ts';
import type { DeadLetterDeps } from './process/recordDeadLetter.ts';

/** Replaceable parts, for tests and benchmarks that count or break them. */
export type RuntimeOverrides = {
  publisher?: Publisher;
  events?: EventStatusStore;
  logger?: Logger;
};

/**
 * The composition root: builds each function's dependencies from the config, once,
 * on first use, so a cold start pays only for the clients its function needs.
 */
export class Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly #overrides: RuntimeOverrides;
  #firestore: Firestore | undefined;
  #pubsub: PubSub | undefined;
  #publisher: PubSubPublisher | undefined;
  #subscriberPublisher: PubSubPublisher | undefined;
  #ingest: IngestDeps | undefined;
  #process: ProcessDeps | undefined;
  #api: ApiDeps | undefined;

  constructor(config: Config, overrides: RuntimeOverrides = {}) {
    this.config = config;
    this.#overrides = overrides;
    this.logger = overrides.logger ?? createLogger({ level: config.logLevel });
  }

  get firestore(): Firestore {
    this.#firestore ??= createFirestore(this.config);
    return this.#firestore;
  }

  /** For HTTP functions, where many requests publish at once. */
  get publisher(): Publisher {
    if (this.#overrides.publisher) return this.#overrides.publisher;
    this.#publisher ??= new PubSubPublisher(this.#pubSubClient(), {
      timeoutMs: this.config.publishTimeoutMs,
      batchWindowMs: defaults.publishBatchMaxMilliseconds,
    });
    return this.#publisher;
  }

  /** For subscribers, whose acknowledgement waits for the publish. */
  get subscriberPublisher(): Publisher {
    if (this.#overrides.publisher) return this.#overrides.publisher;
    this.#subscriberPublisher ??= new PubSubPublisher(this.#pubSubClient(), {
      timeoutMs: this.config.publishTimeoutMs,
      batchWindowMs: defaults.subscriberPublishBatchMaxMilliseconds,
    });
    return this.#subscriberPublisher;
  }

  #pubSubClient(): PubSub {
    this.#pubsub ??= createPubSub(this.config);
    return this.#pubsub;
  }

  get events(): EventStatusStore {
    return this.#overrides.events ?? new FirestoreEventStatusStore(this.firestore);
  }

  ingestDeps = (): IngestDeps => {
    const config = this.config;
    this.#ingest ??= {
      publisher: this.publisher,
      idempotency: new FirestoreIdempotencyStore(this.firestore),
      now: () => new Date(),
      idempotencyTtlHours: config.idempotencyTtlHours,
      authenticator: new ApiKeyAuthenticator(new FirestoreApiKeyStore(this.firestore), {
        ttlSeconds: config.apiKeyCacheSeconds,
        negativeTtlSeconds: defaults.apiKeyNegativeCacheSeconds,
      }),
      rateLimiter: new TokenBucketRateLimiter(),
      logger: this.logger,
      projectId: config.projectId,
      limits: {
        maxEventBytes: config.maxEventBytes,
        maxBatchBytes: config.maxBatchBytes,
        maxBatchEvents: config.maxBatchEvents,
        rateLimitPerSecond: config.rateLimitPerSecond,
        rateLimitBurst: config.rateLimitBurst,
        retryAfterSeconds: config.retryAfterSeconds,
      },
    };
    return this.#ingest;
  };

  processDeps = (): ProcessDeps => {
    this.#process ??= {
      store: this.events,
      publisher: this.subscriberPublisher,
      now: () => new Date(),
      ttlDays: this.config.eventTtlDays,
      logger: this.logger,
    };
    return this.#process;
  };

  deadLetterDeps = (): DeadLetterDeps => this.processDeps();

  apiDeps = (): ApiDeps => {
    this.#api ??= {
      adminToken: this.config.adminToken,
      events: this.events,
      logger: this.logger,
      projectId: this.config.projectId,
    };
    return this.#api;
  };

  /** Sends what the publisher still holds and closes the clients. */
  async close(): Promise<void> {
    await Promise.all([this.#publisher?.flush(), this.#subscriberPublisher?.flush()]);
    await Promise.all([this.#pubsub?.close(), this.#firestore?.terminate()]);
  }
}
