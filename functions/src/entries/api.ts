import type { ApiDeps } from '../admin/apiDeps.ts';
import { apiRoutes, createApiHandler } from '../admin/apiHandler.ts';
import { buildApiDeps } from '../admin/buildApiDeps.ts';
import { readinessChecks } from '../admin/readinessChecks.ts';
import { eventFlowApiRoutes } from '../dialects/eventFlowApi.ts';
import { eventMetricsApiRoutes } from '../dialects/eventMetrics.ts';
import { webhookRelayApiRoutes } from '../dialects/webhookRelayApi.ts';
import { websiteAnalyticsApiRoutes } from '../dialects/websiteAnalyticsApi.ts';
import { workspaceWebhookApiRoutes } from '../dialects/workspaceWebhook.ts';
import { defaults } from '../lib/defaults.ts';
import { openApiDocument, openApiRoute } from '../lib/openapi.ts';
import type { Route } from '../lib/router.ts';
import { MetricsReader } from '../metrics/metricsReader.ts';
import type { Runtime } from '../runtime.ts';
import type { EntryPoints } from './entryPoint.ts';
import { apiKeyAuthenticator } from './apiKeys.ts';
import {
  eventStatusStore,
  metricsDocs,
  planGate,
  planStore,
  privacyGate,
  warehouseMetrics,
  webhookEndpoints,
} from './shared.ts';

/**
 * Every route the `api` function serves: its own, then the dialects of the systems
 * Tributary replaces, then its OpenAPI document.
 */
export const apiFunctionRoutes: readonly Route<ApiDeps>[] = [
  ...apiRoutes,
  ...websiteAnalyticsApiRoutes,
  ...eventFlowApiRoutes,
  ...webhookRelayApiRoutes,
  ...eventMetricsApiRoutes,
  ...workspaceWebhookApiRoutes,
  openApiRoute<ApiDeps>('Health', () => apiOpenApiDocument()),
];

let document: Record<string, unknown> | undefined;

/** The OpenAPI document of the `api` function, generated once from its routes. */
export function apiOpenApiDocument(): Record<string, unknown> {
  document ??= openApiDocument({
    title: 'Tributary operators API',
    version: '1',
    description:
      "Operators' API: event status, failed events and replay, webhook endpoints, Google Workspace sources, metrics, API keys, CSV uploads, health and the web console.",
    routes: apiFunctionRoutes,
  });
  return document;
}

/** What the `api` function's routes are given, built once per runtime. */
export function apiDeps(runtime: Runtime): ApiDeps {
  return runtime.shared('api', () =>
    buildApiDeps({
      config: runtime.config,
      firestore: runtime.firestore,
      publisher: runtime.publisher,
      eventQueue: runtime.eventQueue,
      events: eventStatusStore(runtime),
      logger: runtime.logger,
      authenticator: apiKeyAuthenticator(runtime),
      readiness: readinessChecks({
        pubsub: runtime.pubsub,
        emulator: Boolean(runtime.config.pubsubEmulatorHost),
        firestore: runtime.firestore,
        warehouse: () => runtime.warehouse,
      }),
      webhookEndpoints: webhookEndpoints(runtime),
      secrets: runtime.secretBox,
      metrics: new MetricsReader({
        docs: metricsDocs(runtime),
        warehouse: warehouseMetrics(runtime),
        now: runtime.now,
        clock: () => Date.now(),
        cacheSeconds: runtime.config.metricsCacheSeconds,
        maxSites: defaults.sitesListMax,
      }),
      eventBodies: warehouseMetrics(runtime),
      plan: planGate(runtime),
      planStore: planStore(runtime),
      privacy: privacyGate(runtime),
    }),
  );
}

export function entryPoints(runtime: Runtime): EntryPoints {
  return {
    api: {
      signature: 'http',
      handler: createApiHandler(() => apiDeps(runtime), apiFunctionRoutes),
    },
  };
}
