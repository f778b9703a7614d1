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
