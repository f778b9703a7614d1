import type { FunctionName } from '../../infra/spec.ts';
import type { ApiDeps } from './admin/apiDeps.ts';
import { apiRoutes } from './admin/apiHandler.ts';
import { eventFlowApiRoutes, eventFlowIngestRoutes } from './dialects/eventFlow.ts';
import { eventMetricsApiRoutes } from './dialects/eventMetrics.ts';
import { webhookRelayApiRoutes, webhookRelayIngestRoutes } from './dialects/webhookRelay.ts';
import {
  websiteAnalyticsApiRoutes,
  websiteAnalyticsIngestRoutes,
} from './dialects/websiteAnalytics.ts';
import { workspaceWebhookApiRoutes } from './dialects/workspaceWebhook.ts';
import type { IngestDeps } from './ingest/ingestDeps.ts';
import { ingestRoutes } from './ingest/ingestHandler.ts';
import { openApiDocument, openApiRoute } from './lib/openapi.ts';
import type { Method, Role, Route } from './lib/router.ts';

/**
 * Every route each HTTP function serves: its own, then the dialects of the systems
 * Tributary replaces (thin mappings onto the same core), then its OpenAPI document.
 */
export const ingestFunctionRoutes: readonly Route<IngestDeps>[] = [
  ...ingestRoutes,
  ...websiteAnalyticsIngestRoutes,
  ...eventFlowIngestRoutes,
  ...webhookRelayIngestRoutes,
  openApiRoute<IngestDeps>('Events', () => ingestOpenApiDocument()),
];

export const apiFunctionRoutes: readonly Route<ApiDeps>[] = [
  ...apiRoutes,
  ...websiteAnalyticsApiRoutes,
  ...eventFlowApiRoutes,
  ...webhookRelayApiRoutes,
  ...eventMetricsApiRoutes,
  ...workspaceWebhookApiRoutes,
  openApiRoute<ApiDeps>('Health', () => apiOpenApiDocument()),
];

let ingestDocument: Record<string, unknown> | undefined;
let apiDocument: Record<string, unknown> | undefined;

/** The OpenAPI document of the `ingest` function, generated once from its routes. */
export function ingestOpenApiDocument(): Record<string, unknown> {
  ingestDocument ??= openApiDocument({
    title: 'Tributary ingest API',
    version: '1',
    description: "Producers' API: send events with an API key.",
    routes: ingestFunctionRoutes,
  });
  return ingestDocument;
}

/** The OpenAPI document of the `api` function, generated once from its routes. */
export function apiOpenApiDocument(): Record<string, unknown> {
  apiDocument ??= openApiDocument({
    title: 'Tributary operators API',
    version: '1',
    description:
      "Operators' API: event status, failed events and replay, webhook endpoints, Google Workspace sources, metrics, API keys, CSV uploads, health and the web console.",
    routes: apiFunctionRoutes,
  });
  return apiDocument;
}

export type RouteEntry = {
  function: FunctionName;
  method: Method;
  path: string;
  role: Role;
  /** Called by web pages: CORS, and browser keys. */
  browser?: boolean;
};

/**
 * Every route of both HTTP functions and the credential it requires: `public` (none),
 * `admin` (the admin token) or `apiKey` (a producer key). Built from the tables the
 * handlers route with, so it cannot drift from what they serve.
 */
export const httpRouteTable: readonly RouteEntry[] = [
  ...ingestFunctionRoutes.map((r) => ({
    function: 'ingest' as const,
    method: r.method,
    path: r.path,
    role: r.role,
    ...(r.browser ? { browser: true } : {}),
  })),
  ...apiFunctionRoutes.map((r) => ({
    function: 'api' as const,
    method: r.method,
    path: r.path,
    role: r.role,
  })),
];
