import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { ApiDeps } from './admin/apiDeps.ts';
import { buildApiDeps } from './admin/buildApiDeps.ts';
import type { ReadinessCheck } from './admin/health.ts';
import { readinessChecks } from './admin/readinessChecks.ts';
import { ApiKeyAuthenticator, FirestoreApiKeyStore } from './ingest/apiKeys.ts';
import { BrowserOriginIndex } from './ingest/browser/originIndex.ts';
import { FirestoreIdempotencyStore } from './ingest/idempotency.ts';
import type { IngestDeps } from './ingest/ingestDeps.ts';
import { TokenBucketRateLimiter } from './ingest/rateLimiter.ts';
import { createFirestore, createPubSub } from './lib/clients.ts';
import type { Config } from './lib/config.ts';
import { topics } from '../../infra/spec.ts';
import type { RuntimeOverrides } from './runtimeOverrides.ts';
import { defaults } from './lib/defaults.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { GroupCommit } from './lib/groupCommit.ts';
import { PubSubPublisher, type Publisher } from './lib/publisher.ts';
import { FirestoreEventStatusStore, type EventStatusStore } from './process/eventStatusStore.ts';
import type { ProcessDeps } from './process/processEvent.ts';
import type { DeadLetterDeps } from './process/recordDeadLetter.ts';
import { SecretBox } from './lib/encryption.ts';
import type { DeliveryDeps } from './webhooks/deliverWebhook.ts';
import { FirestoreDeliveryStore, type DeliveryStore } from './webhooks/deliveryStore.ts';
import { CachedWebhookRouter, type WebhookRouter } from './webhooks/endpointIndex.ts';
import { FirestoreEndpointStore, type EndpointStore } from './webhooks/endpointStore.ts';
import { buildDeliveryDeps } from './webhooks/buildDeliveryDeps.ts';
import { MetricsReader } from './metrics/metricsReader.ts';
import { FirestoreMetricsDocStore, type MetricsDocStore } from './metrics/metricsStore.ts';
import type { RecomputeDeps } from './metrics/recomputeMetrics.ts';
import { WarehouseMetrics } from './metrics/warehouseMetrics.ts';
import { createWarehouse } from './warehouse/createWarehouse.ts';
import type { LoadWarehouseDeps } from './warehouse/handler.ts';
import { buildLoaderDeps } from './warehouse/buildLoaderDeps.ts';
import type { PubSubPullSource } from './warehouse/pullSource.ts';
import type { Warehouse } from './warehouse/warehouse.ts';
import { buildWorkspaceDeps } from './workspace/buildWorkspaceDeps.ts';
import type { WorkspaceDeps } from './workspace/workspaceDeps.ts';

export type { RuntimeOverrides } from './runtimeOverrides.ts';

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
  #eventQueue: GroupCommit | undefined;
  #ingest: IngestDeps | undefined;
  #process: ProcessDeps | undefined;
  #api: ApiDeps | undefined;
  #delivery: DeliveryDeps | undefined;
  #webhookRouter: WebhookRouter | undefined;
  #warehouse: Warehouse | undefined;
  #pullSource: PubSubPullSource | undefined;
  #loader: LoadWarehouseDeps | undefined;
  #recompute: RecomputeDeps | undefined;
  #metricsReader: MetricsReader | undefined;
  #workspace: WorkspaceDeps | undefined;

  constructor(config: Config, overrides: RuntimeOverrides = {}) {
    this.config = config;
    this.#overrides = overrides;
    this.logger = overrides.logger ?? createLogger({ level: config.logLevel });
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
    if (this.#overrides.publisher) return this.#overrides.publisher;
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

  /** Named checks of `GET /health/ready`: one entry per dependency. */
  readinessChecks(): ReadinessCheck[] {
    return readinessChecks({
      pubsub: this.pubsub,
      emulator: Boolean(this.config.pubsubEmulatorHost),
      firestore: this.firestore,
      warehouse: () => this.warehouse,
    });
  }

  get events(): EventStatusStore {
    return this.#overrides.events ?? new FirestoreEventStatusStore(this.firestore);
  }

  /** BigQuery or the local DuckDB file, loaded on first use. */
  get warehouse(): Warehouse {
    if (this.#overrides.warehouse) return this.#overrides.warehouse;
    this.#warehouse ??= createWarehouse(this.config, this.logger);
    return this.#warehouse;
  }

  get metricsDocs(): MetricsDocStore {
    return this.#overrides.metricsDocs ?? new FirestoreMetricsDocStore(this.firestore);
  }

  #now = (): Date => (this.#overrides.now ?? (() => new Date()))();

  #warehouseMetrics(): WarehouseMetrics {
    return new WarehouseMetrics(this.warehouse, { topPaths: defaults.statsTopPaths });
  }

  ingestDeps = (): IngestDeps => {
    const config = this.config;
    this.#ingest ??= {
      eventQueue: this.eventQueue,
      idempotency: new FirestoreIdempotencyStore(this.firestore),
      now: () => new Date(),
      idempotencyTtlHours: config.idempotencyTtlHours,
      messageLimits: config.messageLimits,
      authenticator: this.#apiKeyAuthenticator(),
      rateLimiter: new TokenBucketRateLimiter(),
      addressRateLimiter: new TokenBucketRateLimiter(Date.now, defaults.browserRateLimitAddresses),
      browserOrigins: new BrowserOriginIndex(
        () => new FirestoreApiKeyStore(this.firestore).listBrowserOrigins(),
        { ttlMs: config.apiKeyCacheSeconds * 1000 },
      ),
      logger: this.logger,
      projectId: config.projectId,
      limits: {
        maxEventBytes: config.maxEventBytes,
        maxBatchBytes: config.maxBatchBytes,
        maxBatchEvents: config.maxBatchEvents,
        rateLimitPerSecond: config.rateLimitPerSecond,
        rateLimitBurst: config.rateLimitBurst,
        browserRateLimitPerSecond: config.browserRateLimitPerSecond,
        browserRateLimitBurst: config.browserRateLimitBurst,
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
      webhooks: this.webhookRouter,
      messageLimits: this.config.messageLimits,
    };
    return this.#process;
  };

  deadLetterDeps = (): DeadLetterDeps => this.processDeps();

  apiDeps = (): ApiDeps => {
    this.#api ??= buildApiDeps({
      config: this.config,
      firestore: this.firestore,
      publisher: this.publisher,
      eventQueue: this.eventQueue,
      events: this.events,
      logger: this.logger,
      authenticator: this.#apiKeyAuthenticator(),
      readiness: this.readinessChecks(),
      webhookEndpoints: this.webhookEndpoints,
      secrets: this.secretBox,
      metrics: this.metricsReader(),
      eventBodies: this.#warehouseMetrics(),
    });
    return this.#api;
  };

  #apiKeyAuthenticator(): ApiKeyAuthenticator {
    return new ApiKeyAuthenticator(new FirestoreApiKeyStore(this.firestore), {
      ttlSeconds: this.config.apiKeyCacheSeconds,
      negativeTtlSeconds: defaults.apiKeyNegativeCacheSeconds,
    });
  }

  get webhookEndpoints(): EndpointStore {
    return this.#overrides.webhookEndpoints ?? new FirestoreEndpointStore(this.firestore);
  }

  get webhookDeliveries(): DeliveryStore {
    return this.#overrides.webhookDeliveries ?? new FirestoreDeliveryStore(this.firestore);
  }

  get webhookRouter(): WebhookRouter {
    const endpoints = this.webhookEndpoints;
    this.#webhookRouter ??= new CachedWebhookRouter(() => endpoints.listRoutes(), {
      ttlMs: this.config.webhookEndpointCacheSeconds * 1000,
    });
    return this.#webhookRouter;
  }

  get secretBox(): SecretBox | undefined {
    const keys = this.config.encryptionKeys;
    return keys ? new SecretBox(keys.current, keys.previous) : undefined;
  }

  /** The Workspace subscribers: poll tick, fetch, exhausted fetch. */
  workspaceDeps = (): WorkspaceDeps => {
    this.#workspace ??= buildWorkspaceDeps({
      config: this.config,
      firestore: this.firestore,
      publisher: this.publisher,
      secrets: this.secretBox,
      logger: this.logger,
      reports: this.#overrides.workspaceReports,
    });
    return this.#workspace;
  };

  deliveryDeps = (): DeliveryDeps => {
    this.#delivery ??= buildDeliveryDeps({
      config: this.config,
      endpoints: this.webhookEndpoints,
      deliveries: this.webhookDeliveries,
      secrets: this.secretBox,
      sender: this.#overrides.webhookSender,
      logger: this.logger,
    });
    return this.#delivery;
  };

  metricsReader = (): MetricsReader => {
    this.#metricsReader ??= new MetricsReader({
      docs: this.metricsDocs,
      warehouse: this.#warehouseMetrics(),
      now: this.#now,
      clock: () => Date.now(),
      cacheSeconds: this.config.metricsCacheSeconds,
      maxSites: defaults.sitesListMax,
    });
    return this.#metricsReader;
  };

  loaderDeps = (): LoadWarehouseDeps => {
    if (!this.#loader) {
      const { deps, pullSource } = buildLoaderDeps({
        config: this.config,
        pubsub: this.pubsub,
        firestore: this.firestore,
        publisher: this.publisher,
        warehouse: this.warehouse,
        logger: this.logger,
      });
      this.#loader = deps;
      this.#pullSource = pullSource;
    }
    return this.#loader;
  };

  recomputeDeps = (): RecomputeDeps => {
    this.#recompute ??= {
      warehouse: this.#warehouseMetrics(),
      docs: this.metricsDocs,
      now: this.#now,
      lookbackDays: this.config.metricsRecomputeDays,
      logger: this.logger,
    };
    return this.#recompute;
  };

  /** Sends what the publisher still holds and closes the clients. */
  async close(): Promise<void> {
    await this.#eventQueue?.flush();
    await this.#publisher?.flush();
    await Promise.all([this.#pullSource?.close(), this.#warehouse?.close()]);
    await Promise.all([this.#pubsub?.close(), this.#firestore?.terminate()]);
  }
}
