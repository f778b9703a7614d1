import { z } from 'zod';
import type { Method, Role, Route, RouteDocs } from './router.ts';

/** The shape of a route that the document needs: no handler. */
export type DocumentedRoute = RouteDocs & {
  method: Method;
  path: string;
  role: Role;
  /** Set where the route answers errors in its own shape rather than ours. */
  sendError?: unknown;
};

const errorContent = {
  'application/json': { schema: { $ref: '#/components/schemas/Error' } },
};

const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const securitySchemes = {
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: "The operators' admin token (Secret Manager `tributary-admin-token`).",
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'A producer API key (`trb_…`), created by an operator and shown once.',
  },
  writeKey: {
    type: 'http',
    scheme: 'basic',
    description:
      'The same API key as the user name of Basic authentication, with an empty password, as analytics SDKs send their write key.',
  },
} as const;

const securityByRole: Record<Role, Record<string, string[]>[]> = {
  public: [],
  admin: [{ adminToken: [] }],
  apiKey: [{ apiKey: [] }, { writeKey: [] }],
};

/**
 * The function's own URL, as a variable: the same document is served by the function
 * wherever it runs. The default is where the Functions Framework serves a function on
 * its own.
 */
const servers = [
  {
    url: '{functionUrl}',
    description: "The function's URL, where it serves this document at /openapi.json.",
    variables: {
      functionUrl: {
        default: 'http://localhost:8080',
        description:
          'https://REGION-PROJECT.cloudfunctions.net/NAME in the cloud (NAME: ingest or api); locally, the URL `npm start` prints.',
      },
    },
  },
];

/**
 * The operationId prefix of the routes of each system Tributary replaces, by their tag:
 * their paths (`POST /events`, `GET /metrics`) would otherwise take the ids of ours.
 */
const operationIdPrefixByTag: Record<string, string> = {
  'Website analytics backend': 'websiteAnalytics',
  EventFlow: 'eventFlow',
  'Webhook event relay': 'webhookRelay',
  'Event Metrics service': 'eventMetrics',
  'Google Workspace → webhook service': 'workspaceWebhook',
};

/** `GET /openapi.json`: the function's own document, public. */
export function openApiRoute<Deps>(
  tag: string,
  document: () => Record<string, unknown>,
): Route<Deps> {
  return {
    method: 'GET',
    path: '/openapi.json',
    role: 'public',
    tag,
    summary: 'This document',
    handle: ({ res }) => {
      res.status(200).json(document());
    },
  };
}

/**
 * An OpenAPI 3.1 document generated from route tables and their zod schemas
 * (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
export function openApiDocument(options: {
  title: string;
  version: string;
  description: string;
  routes: readonly DocumentedRoute[];
}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const routesById = new Map<string, DocumentedRoute>();
  for (const route of options.routes) {
    const id = operationId(route);
    const taken = routesById.get(id);
    // Client generators name a function per operationId: two would clash.
    if (taken)
      throw new Error(
        `operationId ${id} of ${route.method} ${route.path} is taken by ${taken.method} ${taken.path}`,
      );
    routesById.set(id, route);
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, id);
  }
  const used = new Set(options.routes.flatMap((route) => securityNames(route.role)));
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, description: options.description },
    servers,
    paths,
    components: {
      securitySchemes: Object.fromEntries(
        Object.entries(securitySchemes).filter(([name]) => used.has(name)),
      ),
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
    },
  };
}

function securityNames(role: Role): string[] {
  return securityByRole[role].flatMap((requirement) => Object.keys(requirement));
}

function operation(route: DocumentedRoute, id: string): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const match of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) {
    parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
  }
  if (route.takesIdempotencyKey) {
    for (const name of ['Idempotency-Key', 'X-Idempotency-Key']) {
      parameters.push({
        name,
        in: 'header',
        required: false,
        schema: { type: 'string', minLength: 1, maxLength: 255 },
        description:
          'Makes a retry safe: the same key with the same event is the same event. Either name; both with different values are refused.',
      });
    }
  }
  if (route.query) {
    const schema = jsonSchema(route.query, 'input') as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const { description, ...rest } = property;
      parameters.push({
        name,
        in: 'query',
        required: schema.required?.includes(name) ?? false,
        schema: rest,
        ...(typeof description === 'string' ? { description } : {}),
      });
    }
  }
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses ?? {})) {
    responses[status] = {
      description: response.description,
      ...(response.schema
        ? {
            content: {
              [response.mediaType ?? 'application/json']: {
                schema: jsonSchema(response.schema, 'output'),
              },
            },
          }
        : Number(status) >= 400 && !route.sendError
          ? { content: errorContent }
          : {}),
    };
  }
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
  if (route.role !== 'public') {
    responses['401'] ??= { description: 'Missing or wrong credential.', content: errorContent };
  }
  responses.default ??= { description: 'An error, in the common shape.', content: errorContent };
  return {
    ...(route.summary ? { summary: route.summary } : {}),
    ...(route.description ? { description: route.description } : {}),
    ...(route.tag ? { tags: [route.tag] } : {}),
    operationId: id,
    security: securityByRole[route.role],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              [route.bodyMediaType ?? 'application/json']: {
                schema: jsonSchema(route.body, 'input'),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The method and the path's words, `v1` left out and parameters as `By…`
 * (`GET /v1/events/:eventId`: `getEventsByEventId`; `GET /`: `getRoot`), after the
 * replaced system's prefix on its routes (`POST /events`: `eventFlowPostEvents`).
 */
function operationId(route: { method: Method; path: string; tag?: string }): string {
  const words = route.path
    .split('/')
    .filter((part) => part !== '' && part !== 'v1')
    .map((part) => part.replace(/^:/, 'by-'))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const prefix = route.tag === undefined ? undefined : operationIdPrefixByTag[route.tag];
  const method = route.method.toLowerCase();
  return [
    prefix ?? '',
    prefix ? capitalize(method) : method,
    ...(words.length > 0 ? words : ['root']).map(capitalize),
  ].join('');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}
