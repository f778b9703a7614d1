import { createHash } from 'node:crypto';
import { collections } from '../../../infra/spec.ts';
import { ConfigError } from '../lib/config.ts';
import { defaults } from '../lib/defaults.ts';
import { describe } from '../lib/errors.ts';
import { FirestoreMetricsDocStore, type MetricsDocStore } from '../metrics/metricsStore.ts';
import { WarehouseMetrics } from '../metrics/warehouseMetrics.ts';
import { FirestoreEventStatusStore, type EventStatusStore } from '../process/eventStatusStore.ts';
import { PlanCache } from '../plan/planCache.ts';
import { PlanChecker } from '../plan/planChecker.ts';
import type { PlanGate } from '../plan/planGate.ts';
import { FirestorePlanStore, type PlanStore } from '../plan/planStore.ts';
import { FirestoreViolationCounts } from '../plan/violationCounts.ts';
import { ViolationTally } from '../plan/violationTally.ts';
import type { PrivacyGate } from '../privacy/privacyGate.ts';
import { HeldPrivacyList } from '../privacy/privacyList.ts';
import { FirestorePrivacyListStore } from '../privacy/privacyListStore.ts';
import { SubjectHasher } from '../privacy/subjects.ts';
import type { Runtime } from '../runtime.ts';
import { FirestoreDeliveryStore, type DeliveryStore } from '../webhooks/deliveryStore.ts';
import { CachedWebhookRouter, type WebhookRouter } from '../webhooks/endpointIndex.ts';
import { FirestoreEndpointStore, type EndpointStore } from '../webhooks/endpointStore.ts';

/** Parts that more than one function's entry module builds from the runtime. */

export function metricsDocs(runtime: Runtime): MetricsDocStore {
  return runtime.overrides.metricsDocs ?? new FirestoreMetricsDocStore(runtime.firestore);
}

export function warehouseMetrics(runtime: Runtime): WarehouseMetrics {
  return new WarehouseMetrics(runtime.warehouse, { topPaths: defaults.statsTopPaths });
}

/** Event status records: what processing writes and operators read. */
export function eventStatusStore(runtime: Runtime): EventStatusStore {
  return runtime.overrides.events ?? new FirestoreEventStatusStore(runtime.firestore);
}

export function webhookEndpoints(runtime: Runtime): EndpointStore {
  return runtime.overrides.webhookEndpoints ?? new FirestoreEndpointStore(runtime.firestore);
}

export function webhookDeliveries(runtime: Runtime): DeliveryStore {
  return runtime.overrides.webhookDeliveries ?? new FirestoreDeliveryStore(runtime.firestore);
}

/** The tracking plan as this runtime enforces it: one held copy for every function it serves. */
export function planGate(runtime: Runtime): PlanGate {
  return runtime.shared('planGate', () => {
    const store = planStore(runtime);
    const counts = new FirestoreViolationCounts(runtime.firestore);
    return {
      cache: new PlanCache(() => store.current(), {
        maxAgeMs: runtime.config.trackingPlanCacheSeconds * 1000,
      }),
      checker: new PlanChecker(),
      counts,
      tally: new ViolationTally(counts, {
        flushAfterMs: defaults.violationCountFlushMs,
        onError: (error, types) =>
          runtime.logger.warn({ error: describe(error), types }, 'violation counts not written'),
      }),
    };
  });
}

/**
 * The suppression list and tombstones as this runtime holds them, with the subject
 * hasher and the day's tally of suppressed events: one for every function it serves.
 */
export function privacyGate(runtime: Runtime): PrivacyGate {
  return runtime.shared('privacyGate', () => {
    const { config, firestore, logger } = runtime;
    const store = new FirestorePrivacyListStore(firestore);
    const counts = new FirestoreViolationCounts(firestore, 10, collections.suppressedCounts.name);
    const tally = new ViolationTally(counts, {
      flushAfterMs: defaults.violationCountFlushMs,
      onError: (error) => logger.warn({ error: describe(error) }, 'suppressed count not written'),
    });
    runtime.onClose(() => tally.flush());
    return {
      hasher: subjectHasher(runtime),
      list: new HeldPrivacyList(store, {
        maxAgeMs: config.privacyListCacheSeconds * 1000,
        onError: (error) =>
          logger.warn(
            { error: describe(error) },
            'suppression list not read; the copy held is kept',
          ),
      }),
      counts,
      tally,
    };
  });
}

/** Keyed by SUBJECT_HASH_KEY; outside production a key derived from the project serves. */
export function subjectHasher(runtime: Runtime): SubjectHasher {
  const { config } = runtime;
  if (!config.subjectHashKey && config.environment === 'production')
    throw new ConfigError('Invalid configuration: SUBJECT_HASH_KEY: required in production');
  return new SubjectHasher(
    config.subjectHashKey ?? createHash('sha256').update(`subjects ${config.projectId}`).digest(),
  );
}

export function planStore(runtime: Runtime): PlanStore {
  return new FirestorePlanStore(runtime.firestore);
}

/** Which endpoints want an event type, read at most once per cache window per runtime. */
export function webhookRouter(runtime: Runtime): WebhookRouter {
  return runtime.shared('webhookRouter', () => {
    const endpoints = webhookEndpoints(runtime);
    return new CachedWebhookRouter(() => endpoints.listRoutes(), {
      ttlMs: runtime.config.webhookEndpointCacheSeconds * 1000,
    });
  });
}
