import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFlowIngestRoutes } from '../../functions/src/dialects/eventFlow.ts';
import { eventFlowApiRoutes } from '../../functions/src/dialects/eventFlowApi.ts';
import { eventMetricsApiRoutes } from '../../functions/src/dialects/eventMetrics.ts';
import { webhookRelayIngestRoutes } from '../../functions/src/dialects/webhookRelay.ts';
import { webhookRelayApiRoutes } from '../../functions/src/dialects/webhookRelayApi.ts';
import { websiteAnalyticsIngestRoutes } from '../../functions/src/dialects/websiteAnalytics.ts';
import { websiteAnalyticsApiRoutes } from '../../functions/src/dialects/websiteAnalyticsApi.ts';
import { workspaceWebhookApiRoutes } from '../../functions/src/dialects/workspaceWebhook.ts';
import { httpRouteTable } from '../../functions/src/routeTable.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type Operation = Record<string, unknown> & { operationId?: string; summary?: string };
type Document = {
  openapi: string;
  servers: { url: string; variables?: Record<string, { default: string }> }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

/** The routes of each system Tributary replaces, by the operationId prefix they take. */
const dialectRoutes = {
  websiteAnalytics: [...websiteAnalyticsIngestRoutes, ...websiteAnalyticsApiRoutes],
  eventFlow: [...eventFlowIngestRoutes, ...eventFlowApiRoutes],
  webhookRelay: [...webhookRelayIngestRoutes, ...webhookRelayApiRoutes],
  eventMetrics: eventMetricsApiRoutes,
  workspaceWebhook: workspaceWebhookApiRoutes,
};

describe('GET /openapi.json', () => {
  let pipeline: TestPipeline;
  const documents: Partial<Record<'ingest' | 'api', Document>> = {};
  const statuses: Partial<Record<'ingest' | 'api', number>> = {};

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'openapi' });
    for (const fn of ['ingest', 'api'] as const) {
      const response = await fetch(`${pipeline.urls[fn]}/openapi.json`);
      statuses[fn] = response.status;
      documents[fn] = (await response.json()) as Document;
    }
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it.each(['ingest', 'api'] as const)('%s serves an OpenAPI 3.1 document of every route', (fn) => {
    expect(statuses[fn]).toBe(200);
    const document = documents[fn]!;
    expect(document.openapi).toBe('3.1.0');
    // Only the schemes its routes use: the ingest function takes no admin token.
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(
      fn === 'ingest' ? ['apiKey', 'writeKey'] : ['adminToken', 'apiKey', 'writeKey'],
    );
    for (const route of httpRouteTable.filter((r) => r.function === fn)) {
      const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      const security = {
        public: [],
        admin: [{ adminToken: [] }],
        apiKey: [{ apiKey: [] }, { writeKey: [] }],
      }[route.role];
      expect(operation!.security).toEqual(security);
    }
  });

  it.each(['ingest', 'api'] as const)(
    '%s names its own URL as its server, and each operation by a unique id and a summary',
    (fn) => {
      const document = documents[fn]!;
      expect(document.servers).toEqual([
        expect.objectContaining({
          url: '{functionUrl}',
          variables: { functionUrl: expect.objectContaining({ default: 'http://localhost:8080' }) },
        }),
      ]);
      const operations = Object.values(document.paths).flatMap((byMethod) =>
        Object.values(byMethod),
      );
      const ids = operations.map((operation) => operation.operationId);
      expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id ?? ''))).toEqual([]);
      expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
      expect(operations.filter((o) => !o.summary).map((o) => o.operationId)).toEqual([]);
    },
  );

  const operationOf = (route: { method: string; path: string }) => {
    const fn = httpRouteTable.find(
      (entry) => entry.method === route.method && entry.path === route.path,
    )!.function as 'ingest' | 'api';
    return documents[fn]!.paths[route.path.replace(/:([A-Za-z]+)/g, '{$1}')]![
      route.method.toLowerCase()
    ]!;
  };

  it("prefixes the replaced systems' operationIds with the system, and leaves ours plain", () => {
    for (const [prefix, routes] of Object.entries(dialectRoutes)) {
      for (const route of routes)
        expect(operationOf(route).operationId, `${route.method} ${route.path}`).toMatch(
          new RegExp(`^${prefix}(Get|Post|Put|Patch|Delete)[A-Z]`),
        );
    }
    expect(operationOf({ method: 'POST', path: '/v1/events' }).operationId).toBe('postEvents');
    expect(operationOf({ method: 'POST', path: '/events' }).operationId).toBe(
      'eventFlowPostEvents',
    );
    expect(operationOf({ method: 'GET', path: '/v1/events/:eventId' }).operationId).toBe(
      'getEventsByEventId',
    );
    expect(operationOf({ method: 'GET', path: '/' }).operationId).toBe('getRoot');
  });

  it('carries the request schemas generated from zod', () => {
    const send = documents.ingest!.paths['/v1/events']!.post as {
      requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } };
    };
    const schema = send.requestBody.content['application/json'].schema as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['eventType', 'payload', 'occurredAt', 'siteId', 'userId', 'path']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['eventType', 'payload']));
    expect(schema.additionalProperties).toBe(false);

    const failed = documents.api!.paths['/v1/admin/events/failed']!.get as {
      parameters: { name: string; in: string }[];
    };
    expect(failed.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'type', 'from', 'to', 'limit', 'cursor']),
    );
    const upload = documents.api!.paths['/v1/uploads']!.post as {
      requestBody: { content: Record<string, unknown> };
    };
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data']);
  });
});
