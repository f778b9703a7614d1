import { planGate, privacyGate } from './shared.ts';
import { randomUUID } from 'node:crypto';
import { FirestoreApiKeyStore } from '../ingest/apiKeys.ts';
import { BrowserOriginIndex } from '../ingest/browser/originIndex.ts';
import { FirestoreVisitorSaltStore } from '../ingest/browser/visitorSaltStore.ts';
import { VisitorSaltHolder } from '../ingest/browser/visitorSalts.ts';
import { FirestoreIdempotencyStore } from '../ingest/idempotency.ts';
import type { IngestDeps } from '../ingest/ingestDeps.ts';
import { createIngestHandler, ingestRoutes } from '../ingest/ingestHandler.ts';
import { LiveInstances } from '../ingest/liveInstances.ts';
import { FirestoreRateShareStore } from '../ingest/rateShareStore.ts';
import { SharedRateLimiter } from '../ingest/sharedRateLimiter.ts';
import { eventFlowIngestRoutes } from '../dialects/eventFlow.ts';
import { webhookRelayIngestRoutes } from '../dialects/webhookRelay.ts';
import { websiteAnalyticsIngestRoutes } from '../dialects/websiteAnalytics.ts';
import { defaults } from '../lib/defaults.ts';
import { openApiDocument, openApiRoute } from '../lib/openapi.ts';
import type { Route } from '../lib/router.ts';
import type { Runtime } from '../runtime.ts';
import type { EntryPoints } from './entryPoint.ts';
import { apiKeyAuthenticator } from './apiKeys.ts';

/**
 * Every route the `ingest` function serves: its own, then the dialects of the systems
 * Tributary replaces (thin mappings onto the same core), then its OpenAPI document.
 */
export const ingestFunctionRoutes: readonly Route<IngestDeps>[] = [
  ...ingestRoutes,
  ...websiteAnalyticsIngestRoutes,
  ...eventFlowIngestRoutes,
  ...webhookRelayIngestRoutes,
  openApiRoute<IngestDeps>('Events', () => ingestOpenApiDocument()),
];

let document: Record<string, unknown> | undefined;

/** The OpenAPI document of the `ingest` function, generated once from its routes. */
export function ingestOpenApiDocument(): Record<string, unknown> {
  document ??= openApiDocument({
    title: 'Tributary ingest API',
    version: '1',
    description: "Producers' API: send events with an API key.",
    routes: ingestFunctionRoutes,
  });
  return document;
}

/** What the `ingest` function's routes are given, built once per runtime. */
export function ingestDeps(runtime: Runtime): IngestDeps {
  return runtime.shared('ingest', (): IngestDeps => {
    const { config, firestore } = runtime;
    return {
      eventQueue: runtime.eventQueue,
      idempotency: new FirestoreIdempotencyStore(firestore),
      now: () => new Date(),
      idempotencyTtlHours: config.idempotencyTtlHours,
      messageLimits: config.messageLimits,
      plan: planGate(runtime),
      privacy: privacyGate(runtime),
      authenticator: apiKeyAuthenticator(runtime),
      rateLimiter: sharedRateLimiter(runtime, Infinity),
      addressRateLimiter: sharedRateLimiter(runtime, defaults.browserRateLimitAddresses),
      browserOrigins: new BrowserOriginIndex(
        () => new FirestoreApiKeyStore(firestore).listBrowserOrigins(),
        { ttlMs: config.apiKeyCacheSeconds * 1000 },
      ),
      visitorSalts: new VisitorSaltHolder(new FirestoreVisitorSaltStore(firestore), {
        logger: runtime.logger,
      }),
      logger: runtime.logger,
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
  });
}

/** Limits that hold across instances (see `SharedRateLimiter`); one store for both. */
function sharedRateLimiter(runtime: Runtime, maxSubjects: number): SharedRateLimiter {
  const { config, firestore, logger } = runtime;
  // Subjects (a key, a key and a client address) are stored as keyed hashes. The key
  // must be secret, or an address could be found again by hashing every address: the
  // subject hash key, which ingest is given in the cloud; locally, the sealing key.
  const hashKey =
    config.subjectHashKey ??
    config.encryptionKeys?.current.key ??
    Buffer.from(`rate-limits ${config.projectId}`);
  const store = runtime.shared(
    'rate-share-store',
    () => new FirestoreRateShareStore(firestore, hashKey),
  );
  const instanceId = runtime.shared('instance-id', () => randomUUID());
  const instances = runtime.shared(
    'live-instances',
    () =>
      new LiveInstances(store, instanceId, {
        announceMs: defaults.rateLimitAnnounceMs,
        readMs: defaults.rateLimitSyncMs,
      }),
  );
  const limiter = new SharedRateLimiter({
    store,
    instanceId,
    instances,
    logger,
    maxSubjects,
    syncMs: defaults.rateLimitSyncMs,
    leaseMs: defaults.rateLimitShareLeaseMs,
    windowMs: defaults.rateLimitWindowMs,
    unsharedFraction: defaults.rateLimitUnsharedFraction,
    storeTimeoutMs: defaults.rateLimitStoreTimeoutMs,
  });
  runtime.onClose(() => limiter.close());
  return limiter;
}

export function entryPoints(runtime: Runtime): EntryPoints {
  return {
    ingest: {
      signature: 'http',
      handler: createIngestHandler(() => ingestDeps(runtime), ingestFunctionRoutes),
    },
  };
}
