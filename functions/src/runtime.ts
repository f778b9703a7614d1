import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { processingSubscription, warehouseLoaderSubscription } from '../../infra/spec.ts';
import type { ApiDeps } from './admin/apiDeps.ts';
import { FirestoreApiKeyRegistry } from './admin/apiKeyRegistry.ts';
import { FirestoreReplayJobStore } from './admin/bulkReplay.ts';
import { FirestoreEventQueries } from './admin/eventQueries.ts';
import type { ReadinessCheck } from './admin/health.ts';
import { UnavailableBacklog } from './admin/metrics.ts';
import { CloudMonitoringBacklog, type MonitoringRequest } from './admin/monitoringBacklog.ts';
import {
  firestoreReadiness,
  warehouseReadiness,
  pubsubReadiness,
} from './admin/readinessChecks.ts';
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
import { SecretBox } from './lib/encryption.ts';
import type { WebhookAdminDeps } from './webhooks/adminDeps.ts';
import type { DeliveryDeps } from './webhooks/deliverWebhook.ts';
import { FirestoreDeliveryStore, type DeliveryStore } from './webhooks/deliveryStore.ts';
import { CachedWebhookRouter, type WebhookRouter } from './webhooks/endpointIndex.ts';
import { FirestoreEndpointStore, type EndpointStore } from './webhooks/endpointStore.ts';
import { HttpWebhookSender, systemResolve, type WebhookSender } from './webhooks/httpSender.ts';
import type { UrlPolicy } from './webhooks/urlSafety.ts';
import { MetricsReader } from './metrics/metricsReader.ts';
import { FirestoreMetricsDocStore, type MetricsDocStore } from './metrics/metricsStore.ts';
import type { RecomputeDeps } from './metrics/recomputeMetrics.ts';
import { WarehouseMetrics } from './metrics/warehouseMetrics.ts';
import { createWarehouse } from './warehouse/createWarehouse.ts';
import type { LoadWarehouseDeps } from './warehouse/handler.ts';
import { PubSubPullSource } from './warehouse/pullSource.ts';
import { FirestoreRejectionStore } from './warehouse/rejectionStore.ts';
import type { Warehouse } from './warehouse/warehouse.ts';
import type { WorkspaceAdminDeps } from './workspace/adminDeps.ts';
import { GoogleActivityReports, type ActivityReports } from './workspace/reportsClient.ts';
import {
  FirestoreSeenActivities,
  FirestoreSourceStore,
  type SourceStore,
} from './workspace/sourceStore.ts';
import type { WorkspaceDeps } from './workspace/workspaceDeps.ts';

/** Replaceable parts, for tests and benchmarks that count or break them. */
export type RuntimeOverrides = {
  publisher?: Publisher;
  events?: EventStatusStore;
  logger?: Logger;
  webhookEndpoints?: EndpointStore;
  webhookDeliveries?: DeliveryStore;
  webhookSender?: WebhookSender;
  warehouse?: Warehouse;
  metricsDocs?: MetricsDocStore;
  workspaceReports?: ActivityReports;
  /** The calendar of the metrics (which day is today). */
  now?: () => Date;
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
    return this.#pubSubClient();
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

  /** Named checks of `GET /health/ready`: one entry per dependency. */
  readinessChecks(): ReadinessCheck[] {
    return [
      pubsubReadiness(this.#pubSubClient(), {
        emulator: Boolean(this.config.pubsubEmulatorHost),
        timeoutMs: defaults.readinessTimeoutMs,
      }),
      firestoreReadiness(this.firestore),
      warehouseReadiness(() => this.warehouse),
    ];
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
      webhooks: this.webhookRouter,
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
      webhooks: this.webhookAdminDeps(),
      workspace: this.workspaceAdminDeps(),
      metrics: this.metricsReader(),
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
        backlog: config.pubsubEmulatorHost
          ? new UnavailableBacklog('the Pub/Sub emulator does not report subscription backlog')
          : new CloudMonitoringBacklog({
              projectId: config.projectId,
              subscription: processingSubscription,
              request: monitoringRequest,
              now,
            }),
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

  /** Where webhooks may go: https only in production; loopback only when allowed locally. */
  get webhookUrlPolicy(): UrlPolicy {
    return {
      requireHttps: this.config.environment === 'production',
      allowLoopback: this.config.webhookAllowLoopback,
    };
  }

  get secretBox(): SecretBox | undefined {
    const keys = this.config.encryptionKeys;
    return keys ? new SecretBox(keys.current, keys.previous) : undefined;
  }

  webhookAdminDeps = (): WebhookAdminDeps => ({
    endpoints: this.webhookEndpoints,
    deliveries: new FirestoreDeliveryStore(this.firestore),
    secrets: this.secretBox,
    publisher: this.publisher,
    urlPolicy: this.webhookUrlPolicy,
    resolve: systemResolve,
    now: () => new Date(),
  });

  get workspaceSources(): SourceStore {
    return new FirestoreSourceStore(this.firestore);
  }

  workspaceAdminDeps = (): WorkspaceAdminDeps => ({
    sources: this.workspaceSources,
    secrets: this.secretBox,
    publisher: this.publisher,
    now: () => new Date(),
  });

  /** The Workspace subscribers: poll tick, fetch, exhausted fetch. */
  workspaceDeps = (): WorkspaceDeps => {
    const config = this.config;
    this.#workspace ??= {
      sources: this.workspaceSources,
      seen: new FirestoreSeenActivities(this.firestore),
      reports:
        this.#overrides.workspaceReports ??
        new GoogleActivityReports({
          rootUrl: config.workspaceApiRootUrl,
          tokenUrl: config.workspaceTokenUrl,
        }),
      publisher: this.subscriberPublisher,
      secrets: this.secretBox,
      now: () => new Date(),
      clock: () => Date.now(),
      logger: this.logger,
      settings: {
        overlapSeconds: defaults.workspaceOverlapSeconds,
        maxWindowSeconds: defaults.workspaceMaxWindowSeconds,
        pageSize: defaults.workspacePageSize,
        fetchBudgetMs: defaults.workspaceFetchBudgetMs,
        backoffBaseSeconds: defaults.workspaceBackoffBaseSeconds,
        backoffMaxSeconds: defaults.workspaceBackoffMaxSeconds,
        seenTtlDays: defaults.workspaceSeenTtlDays,
      },
    };
    return this.#workspace;
  };

  deliveryDeps = (): DeliveryDeps => {
    const config = this.config;
    this.#delivery ??= {
      endpoints: this.webhookEndpoints,
      deliveries: this.webhookDeliveries,
      secrets: this.secretBox,
      sender:
        this.#overrides.webhookSender ??
        new HttpWebhookSender({
          policy: this.webhookUrlPolicy,
          excerptBytes: defaults.webhookResponseExcerptBytes,
        }),
      now: () => new Date(),
      ttlDays: config.eventTtlDays,
      timeoutMs: config.webhookTimeoutMs,
      disableAfterFailures: config.webhookDisableAfterFailures,
      logger: this.logger,
    };
    return this.#delivery;
  };

  metricsReader = (): MetricsReader => {
    this.#metricsReader ??= new MetricsReader({
      docs: this.metricsDocs,
      warehouse: this.#warehouseMetrics(),
      now: this.#now,
      clock: () => Date.now(),
      cacheSeconds: this.config.metricsCacheSeconds,
    });
    return this.#metricsReader;
  };

  loaderDeps = (): LoadWarehouseDeps => {
    const config = this.config;
    this.#pullSource ??= new PubSubPullSource(this.pubsub, {
      projectId: config.projectId,
      subscription: warehouseLoaderSubscription,
      pullTimeoutMs: defaults.warehousePullTimeoutMs,
    });
    this.#loader ??= {
      source: this.#pullSource,
      publisher: this.publisher,
      warehouse: this.warehouse,
      rejections: new FirestoreRejectionStore(this.firestore, { ttlDays: config.eventTtlDays }),
      logger: this.logger,
      now: () => new Date(),
      clock: () => Date.now(),
      limits: {
        batchRows: config.warehouseBatchRows,
        maxRowsPerRun: config.warehouseMaxRowsPerRun,
        runBudgetMs: config.warehouseRunSeconds * 1000,
        pullConcurrency: defaults.warehousePullConcurrency,
        batchWaitMs: defaults.warehouseBatchWaitMs,
        maxMessagesPerPull: defaults.pullMaxMessages,
      },
    };
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
    await Promise.all([this.#publisher?.flush(), this.#subscriberPublisher?.flush()]);
    await Promise.all([this.#pullSource?.close(), this.#warehouse?.close()]);
    await Promise.all([this.#pubsub?.close(), this.#firestore?.terminate()]);
  }
}

function now(): Date {
  return new Date();
}

let monitoringAuth: Promise<import('google-auth-library').GoogleAuth> | undefined;

/** Cloud Monitoring, with the function's own identity; loaded only when asked for. */
const monitoringRequest: MonitoringRequest = async (url) => {
  monitoringAuth ??= import('google-auth-library').then(
    ({ GoogleAuth }) =>
      new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/monitoring.read'] }),
  );
  const client = await (await monitoringAuth).getClient();
  const response = await client.request({
    url,
    timeout: defaults.readinessTimeoutMs,
    validateStatus: () => true,
  });
  return { status: response.status, data: response.data };
};
