import type { Firestore } from '@google-cloud/firestore';
import { processingSubscription } from '../../../infra/spec.ts';
import { FirestoreIdempotencyStore } from '../ingest/idempotency.ts';
import { TokenBucketRateLimiter } from '../ingest/rateLimiter.ts';
import type { Config } from '../lib/config.ts';
import { defaults } from '../lib/defaults.ts';
import type { EventQueue } from '../lib/groupCommit.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { SecretBox } from '../lib/encryption.ts';
import type { EventStatusStore } from '../process/eventStatusStore.ts';
import { webhookUrlPolicy } from '../webhooks/buildDeliveryDeps.ts';
import { FirestoreDeliveryStore } from '../webhooks/deliveryStore.ts';
import type { EndpointStore } from '../webhooks/endpointStore.ts';
import { systemResolve } from '../webhooks/httpSender.ts';
import { FirestoreSourceStore } from '../workspace/sourceStore.ts';
import { FirestoreUploadBatchStore } from '../uploads/uploadBatches.ts';
import { FirestoreApiKeyRegistry } from './apiKeyRegistry.ts';
import { FirestoreReplayJobStore } from './bulkReplay.ts';
import { FirestoreEventQueries } from './eventQueries.ts';
import { UnavailableBacklog } from './metrics.ts';
import { CloudMonitoringBacklog, type MonitoringRequest } from './monitoringBacklog.ts';
import type { PlanGate } from '../plan/planGate.ts';
import type { PlanStore } from '../plan/planStore.ts';
import { FirestoreErasedEvents } from '../regulations/erasedEvents.ts';
import type { PrivacyGate } from '../privacy/privacyGate.ts';
import { FirestoreRegulationStore } from '../regulations/regulationStore.ts';
import { FirestoreQuarantineReplayStore } from './trackingPlan/quarantineReplayStore.ts';
import { firestoreViolationExamples } from './trackingPlan/violationExamples.ts';
import type { ApiDeps } from './apiDeps.ts';
import type { OpsDeps } from './opsDeps.ts';

/** The `api` function's parts, from the clients and stores the runtime already holds. */
export function buildApiDeps(
  parts: Pick<
    ApiDeps,
    'events' | 'logger' | 'authenticator' | 'readiness' | 'metrics' | 'eventBodies'
  > & {
    config: Config;
    firestore: Firestore;
    publisher: Publisher;
    eventQueue: EventQueue;
    webhookEndpoints: EndpointStore;
    secrets: SecretBox | undefined;
    plan: PlanGate;
    planStore: PlanStore;
    privacy: PrivacyGate;
  },
): ApiDeps {
  const {
    config,
    firestore,
    publisher,
    eventQueue,
    events,
    webhookEndpoints,
    secrets,
    plan,
    planStore,
    privacy,
    ...shared
  } = parts;
  const ops = buildOpsDeps(config, firestore, eventQueue, events, plan, privacy);
  return {
    ...shared,
    trackingPlan: {
      store: planStore,
      counts: plan.counts,
      examples: firestoreViolationExamples(firestore),
      queries: ops.queries,
      replays: new FirestoreQuarantineReplayStore(firestore),
      publisher,
      now,
      replayTtlDays: defaults.quarantineReplayTtlDays,
    },
    privacy: {
      regulations: new FirestoreRegulationStore(firestore),
      hasher: privacy.hasher,
      list: privacy.list,
      suppressedCounts: privacy.counts,
      publisher,
      now,
      maxSubjects: defaults.maxRegulationSubjects,
      staleSeconds: config.privacyListCacheSeconds * 2,
    },
    webhooks: {
      endpoints: webhookEndpoints,
      deliveries: new FirestoreDeliveryStore(firestore),
      secrets,
      publisher,
      urlPolicy: webhookUrlPolicy(config),
      resolve: systemResolve,
      now,
    },
    workspace: { sources: new FirestoreSourceStore(firestore), secrets, publisher, now },
    adminToken: config.adminToken,
    events,
    projectId: config.projectId,
    retryAfterSeconds: config.retryAfterSeconds,
    readinessTimeoutMs: defaults.readinessTimeoutMs,
    ops,
  };
}

/** The operations routes' parts: admin API, replays, uploads. */
function buildOpsDeps(
  config: Config,
  firestore: Firestore,
  eventQueue: EventQueue,
  events: EventStatusStore,
  plan: PlanGate,
  privacy: PrivacyGate,
): OpsDeps {
  const queries = new FirestoreEventQueries(firestore);
  return {
    apiKeys: new FirestoreApiKeyRegistry(firestore),
    queries,
    replay: {
      events,
      eventQueue,
      now,
      ttlDays: config.eventTtlDays,
      staleQueuedMs: defaults.staleQueuedMs,
      erasedEvents: new FirestoreErasedEvents(firestore),
      queries,
      jobs: new FirestoreReplayJobStore(firestore),
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
        eventQueue,
        idempotency: new FirestoreIdempotencyStore(firestore),
        now,
        idempotencyTtlHours: config.idempotencyTtlHours,
        messageLimits: config.messageLimits,
        plan,
        privacy,
      },
      batches: new FirestoreUploadBatchStore(firestore),
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
    ingestUrl: config.ingestUrl ?? null,
    now,
  };
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
