import { defaults } from '../lib/defaults.ts';
import { FirestoreMetricsDocStore, type MetricsDocStore } from '../metrics/metricsStore.ts';
import { WarehouseMetrics } from '../metrics/warehouseMetrics.ts';
import { FirestoreEventStatusStore, type EventStatusStore } from '../process/eventStatusStore.ts';
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

/** Which endpoints want an event type, read at most once per cache window per runtime. */
export function webhookRouter(runtime: Runtime): WebhookRouter {
  return runtime.shared('webhookRouter', () => {
    const endpoints = webhookEndpoints(runtime);
    return new CachedWebhookRouter(() => endpoints.listRoutes(), {
      ttlMs: runtime.config.webhookEndpointCacheSeconds * 1000,
    });
  });
}
