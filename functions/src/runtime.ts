import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { ApiDeps } from './admin/apiHandler.ts';
import { FirestoreApiKeyRegistry } from './admin/apiKeyRegistry.ts';
import { FirestoreReplayJobStore } from './admin/bulkReplay.ts';
import { FirestoreEventQueries } from './admin/eventQueries.ts';
import type { ReadinessCheck } from './admin/health.ts';
import { UnavailableBacklog } from './admin/metrics.ts';
import { firestoreReadiness, pubsubReadiness } from './admin/readinessChecks.ts';
import { FirestoreUploadBatchStore } from './uploads/uploadBatches.ts';
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

  get publisher(): Publisher {
    if (this.#overrides.publisher) return this.#overrides.publisher;
    this.#publisher ??= new PubSubPublisher(this.#pubsubClient(), {
      timeoutMs: this.config.publishTimeoutMs,
    });
    return this.#publisher;
  }

  #pubsubClient(): PubSub {
    this.#pubsub ??= createPubSub(this.config);
    return this.#pubsub;
  }

  /** Named checks of `GET /health/ready`: one entry per dependency. */
  readinessChecks(): ReadinessCheck[] {
    return [
      pubsubReadiness(this.#pubsubClient(), {
        emulator: Boolean(this.config.pubsubEmulatorHost),
        timeoutMs: defaults.readinessTimeoutMs,
      }),
      firestoreReadiness(this.firestore),
    ];
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
      publisher: this.publisher,
      now: () => new Date(),
      ttlDays: this.config.eventTtlDays,
      logger: this.logger,
    };
    return this.#process;
  };

  deadLetterDeps = (): DeadLetterDeps => this.processDeps();

  apiDeps = (): ApiDeps => {
    this.#api ??= this.#buildApiDeps();
    return this.#api;
  };

  #buildApiDeps(): ApiDeps {
    const config = this.config;
    const events = this.events;
    const queries = new FirestoreEventQueries(this.firestore);
    return {
      adminToken: config.adminToken,
      events,
      logger: this.logger,
      projectId: config.projectId,
      authenticator: new ApiKeyAuthenticator(new FirestoreApiKeyStore(this.firestore), {
        ttlSeconds: config.apiKeyCacheSeconds,
        negativeTtlSeconds: defaults.apiKeyNegativeCacheSeconds,
      }),
      retryAfterSeconds: config.retryAfterSeconds,
      readiness: this.readinessChecks(),
      readinessTimeoutMs: defaults.readinessTimeoutMs,
      ops: {
        apiKeys: new FirestoreApiKeyRegistry(this.firestore),
        queries,
        replay: {
          events,
          publisher: this.publisher,
          now,
          ttlDays: config.eventTtlDays,
          staleQueuedMs: defaults.staleQueuedMs,
          queries,
          jobs: new FirestoreReplayJobStore(this.firestore),
          pageSize: config.replayPageSize,
          concurrency: defaults.replayConcurrency,
          budgetMs: config.replayBudgetMs,
          jobTtlDays: defaults.replayJobTtlDays,
        },
        backlog: new UnavailableBacklog(
          config.pubsubEmulatorHost
            ? 'the Pub/Sub emulator does not report subscription backlog'
            : 'backlog is reported by Cloud Monitoring (pubsub.googleapis.com/subscription/num_undelivered_messages), which this API does not query',
        ),
        metrics: {
          hours: defaults.metricsHours,
          latencySampleSize: defaults.latencySampleSize,
          maxEventTypes: defaults.maxEventTypes,
        },
        uploads: {
          accept: {
            publisher: this.publisher,
            idempotency: new FirestoreIdempotencyStore(this.firestore),
            now,
            idempotencyTtlHours: config.idempotencyTtlHours,
          },
          batches: new FirestoreUploadBatchStore(this.firestore),
          limits: {
            maxBytes: config.uploadMaxBytes,
            maxRows: config.uploadMaxRows,
            maxEventBytes: config.maxEventBytes,
            concurrency: defaults.uploadPublishConcurrency,
            maxReportedErrors: defaults.uploadMaxReportedErrors,
            abortAfterUnavailable: defaults.uploadAbortAfterUnavailable,
            progressEvery: defaults.uploadProgressEveryRows,
          },
          rate: {
            perKeyPerMinute: config.uploadsPerMinutePerKey,
            perIpPerMinute: config.uploadsPerMinutePerIp,
          },
          limiter: new TokenBucketRateLimiter(),
          batchTtlDays: defaults.uploadBatchTtlDays,
          now,
        },
        now,
      },
    };
  }

  /** Sends what the publisher still holds and closes the clients. */
  async close(): Promise<void> {
    await this.#publisher?.flush();
    await Promise.all([this.#pubsub?.close(), this.#firestore?.terminate()]);
  }
}

function now(): Date {
  return new Date();
}
