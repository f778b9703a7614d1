import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { traceFields } from '../lib/logger.ts';
import { answerError, requireUtf8JsonBody } from '../lib/http.ts';
import { admitIdempotencyHeader } from '../lib/idempotencyHeader.ts';
import { livenessRoute } from '../lib/liveness.ts';
import { lookupRoute, type Route, type RouteLookup } from '../lib/router.ts';
import { authenticateApiKey } from './authenticateKey.ts';
import { admitBrowserRequest } from './browser/browserAdmission.ts';
import { answerPreflight } from './browser/preflight.ts';
import { trackerRoute } from './browser/trackerScript.ts';
import { batchItemSchema, eventInputSchema } from './eventInput.ts';
import type { IngestDeps } from './ingestDeps.ts';
import { admit, enforceRateLimit, ingestBatch, ingestOne } from './producerEvents.ts';
import { trackingRoutes } from './tracking/trackingRoutes.ts';

const acceptedSchema = z.object({ eventId: z.string(), receivedAt: z.string() });
const duplicateSchema = acceptedSchema.extend({ duplicate: z.literal(true) });
const batchBodySchema = z.object({ events: z.array(batchItemSchema).min(1) });
const batchResultSchema = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  unavailable: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(['accepted', 'duplicate', 'rejected', 'conflict', 'unavailable']),
      eventId: z.string().optional(),
      errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  ),
});

/** The `ingest` function's own routes: the event API and the tracking API. */
export const ingestRoutes: readonly Route<IngestDeps>[] = [
  {
    method: 'POST',
    path: '/v1/events',
    role: 'apiKey',
    tag: 'Events',
    summary: 'Send one event',
    description:
      'Send an Idempotency-Key (or X-Idempotency-Key) header, 1–255 characters, to retry safely.',
    takesIdempotencyKey: true,
    body: eventInputSchema,
    responses: {
      202: { description: 'Accepted: Pub/Sub has the event.', schema: acceptedSchema },
      200: { description: 'A repeat of an Idempotency-Key.', schema: duplicateSchema },
      409: { description: 'The Idempotency-Key was used with another event.' },
      413: { description: 'Over the event size limit.' },
      429: { description: "Over the key's rate limit; wait Retry-After seconds." },
      503: { description: 'Not queued; retry after Retry-After with the same key.' },
    },
    handle: (context, deps) => ingestOne(admit(context, deps), deps),
  },
  {
    method: 'POST',
    path: '/v1/events/batch',
    role: 'apiKey',
    tag: 'Events',
    summary: 'Send up to 500 events at once',
    idempotencyHint: 'Give each item of the batch its own idempotencyKey.',
    body: batchBodySchema,
    responses: {
      202: { description: 'At least one accepted, nothing to retry.', schema: batchResultSchema },
      400: { description: 'No item was valid.', schema: batchResultSchema },
      503: { description: 'Some items were not queued: retry.', schema: batchResultSchema },
    },
    handle: (context, deps) => ingestBatch(admit(context, deps), deps),
  },
  ...trackingRoutes<IngestDeps>(enforceRateLimit),
  trackerRoute,
  livenessRoute<IngestDeps>('Health'),
];

/**
 * The producers' function: matches the route, authenticates its key, runs it, answers
 * errors in the route's shape. `routes` is every route it serves (see routeTable.ts).
 */
export function createIngestHandler(
  getDeps: () => IngestDeps,
  routes: readonly Route<IngestDeps>[],
): HttpFunction {
  return async (req: Request, res: Response) => {
    const deps = getDeps();
    const log = deps.logger.child(traceFields(req.headers, deps.projectId));
    let lookup: RouteLookup<IngestDeps> | undefined;
    try {
      if (req.method === 'OPTIONS') {
        const preflight = answerPreflight(req, res, routes, deps);
        if (preflight !== undefined) {
          await preflight;
          return;
        }
      }
      lookup = lookupRoute(routes, req);
      // Credentials first: an unknown path under a guarded prefix answers 401, not 404.
      // Awaited only when the key was not cached: the hot path creates no promise here.
      let apiKey =
        lookup.found && lookup.route.browser
          ? admitBrowserRequest(req, res, lookup.route, deps)
          : (lookup.found ? lookup.route.role : lookup.guard) === 'apiKey'
            ? authenticateApiKey(req, deps.authenticator, deps.limits.retryAfterSeconds)
            : undefined;
      if (apiKey instanceof Promise) apiKey = await apiKey;
      if (!lookup.found) throw lookup.error;
      requireUtf8JsonBody(req);
      const { route, params } = lookup;
      admitIdempotencyHeader(req, route);
      await route.handle({ req, res, params, log, ...(apiKey ? { apiKey } : {}) }, deps);
    } catch (error) {
      answerError(
        res,
        error,
        log,
        'ingest failed',
        lookup?.found ? lookup.route.sendError : undefined,
      );
    }
  };
}
