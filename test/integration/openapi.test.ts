import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRouteTable } from '../../functions/src/routeTable.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

type Document = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { securitySchemes: Record<string, unknown> };
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
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
      'adminToken',
      'apiKey',
      'writeKey',
    ]);
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
