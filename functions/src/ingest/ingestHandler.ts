import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import type { Logger } from '../lib/logger.ts';
import { traceFields } from '../lib/logger.ts';
import {
  HttpError,
  internalError,
  requireJsonContentType,
  requireUtf8JsonBody,
  sendHttpError,
} from '../lib/http.ts';
import { openApiDocument } from '../lib/openapi.ts';
import { lookupRoute, type Principal, type Route } from '../lib/router.ts';
import { acceptEvent, acceptEvents, type AcceptDeps, type AcceptOutcome } from './acceptEvent.ts';
import type { ApiKeyAuthenticator } from './apiKeys.ts';
import { authenticateApiKey } from './authenticateKey.ts';
import {
  batchItemSchema,
  eventInputSchema,
  validateEventInput,
  type EventInput,
} from './eventInput.ts';
import type { TokenBucketRateLimiter } from './rateLimiter.ts';
import { isTrackingRequest, sendTrackingError, trackingRoutes } from './tracking/trackingRoutes.ts';

export type IngestDeps = AcceptDeps & {
  authenticator: ApiKeyAuthenticator;
  rateLimiter: TokenBucketRateLimiter;
  logger: Logger;
  projectId: string;
  limits: {
    maxEventBytes: number;
    maxBatchBytes: number;
    maxBatchEvents: number;
    rateLimitPerSecond: number;
    rateLimitBurst: number;
    retryAfterSeconds: number;
  };
};

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

/** Every route of the `ingest` function and the role it requires. */
export const ingestRoutes: readonly Route<IngestDeps>[] = [
  {
    method: 'POST',
    path: '/v1/events',
    role: 'apiKey',
    tag: 'Events',
    summary: 'Send one event',
    description: 'Send an Idempotency-Key header (1–255 characters) to retry safely.',
    body: eventInputSchema,
    responses: {
      202: { description: 'Accepted: Pub/Sub has the event.', schema: acceptedSchema },
      200: { description: 'A repeat of an Idempotency-Key.', schema: duplicateSchema },
      409: { description: 'The Idempotency-Key was used with another event.' },
      413: { description: 'Over the event size limit.' },
      429: { description: "Over the key's rate limit; wait Retry-After seconds." },
      503: { description: 'Not queued; retry after Retry-After with the same key.' },
    },
    handle: ({ req, res, apiKey, log }, deps) =>
      ingestOne(req, res, admit(req, apiKey!, deps), req.rawBody?.length ?? 0, deps, log),
  },
  {
    method: 'POST',
    path: '/v1/events/batch',
    role: 'apiKey',
    tag: 'Events',
    summary: 'Send up to 500 events at once',
    body: batchBodySchema,
    responses: {
      202: { description: 'At least one accepted, nothing to retry.', schema: batchResultSchema },
      400: { description: 'No item was valid.', schema: batchResultSchema },
      503: { description: 'Some items were not queued: retry.', schema: batchResultSchema },
    },
    handle: ({ req, res, apiKey, log }, deps) =>
      ingestBatch(req, res, admit(req, apiKey!, deps), req.rawBody?.length ?? 0, deps, log),
  },
  ...trackingRoutes<IngestDeps>(enforceRateLimit),
  {
    method: 'GET',
    path: '/openapi.json',
    role: 'public',
    tag: 'Events',
    summary: 'This document',
    handle: ({ res }) => {
      res.status(200).json(ingestOpenApiDocument());
    },
  },
];

let ingestDocument: Record<string, unknown> | undefined;

/** The OpenAPI document of the `ingest` function, generated once from its route table. */
export function ingestOpenApiDocument(): Record<string, unknown> {
  ingestDocument ??= openApiDocument({
    title: 'Tributary ingest API',
    version: '1',
    description: "Producers' API: send events with an API key.",
    routes: ingestRoutes,
  });
  return ingestDocument;
}

/** `POST /v1/events` and `POST /v1/events/batch`, for producers. */
export function createIngestHandler(getDeps: () => IngestDeps): HttpFunction {
  return async (req: Request, res: Response) => {
    const deps = getDeps();
    const log = deps.logger.child(traceFields(req.headers, deps.projectId));
    try {
      const lookup = lookupRoute(ingestRoutes, req);
      // Credentials first: an unknown path under a guarded prefix answers 401, not 404.
      // Awaited only when the key was not cached: the hot path creates no promise here.
      let apiKey =
        (lookup.found ? lookup.route.role : lookup.guard) === 'apiKey'
          ? authenticateApiKey(req, deps.authenticator, deps.limits.retryAfterSeconds)
          : undefined;
      if (apiKey instanceof Promise) apiKey = await apiKey;
      if (!lookup.found) throw lookup.error;
      requireUtf8JsonBody(req);
      const { route, params } = lookup;
      await route.handle({ req, res, params, log, ...(apiKey ? { apiKey } : {}) }, deps);
    } catch (error) {
      if (error instanceof HttpError) {
        if (isTrackingRequest(req)) sendTrackingError(res, error);
        else sendHttpError(res, error);
        return;
      }
      log.error({ err: error }, 'ingest failed');
      internalError(res);
    }
  };
}

/** The rate limit, then the media type; the key was authenticated by the router. */
function admit(req: Request, apiKey: Principal, deps: IngestDeps): Principal {
  enforceRateLimit(apiKey, deps);
  requireJsonContentType(req);
  return apiKey;
}

function enforceRateLimit(key: Principal, deps: IngestDeps): void {
  const perSecond = key.rateLimitPerSecond ?? deps.limits.rateLimitPerSecond;
  const burst = key.rateLimitPerSecond
    ? Math.max(1, key.rateLimitPerSecond * 2)
    : deps.limits.rateLimitBurst;
  const decision = deps.rateLimiter.take(key.keyId, { perSecond, burst });
  if (!decision.allowed) {
    throw new HttpError(
      429,
      'rate_limited',
      `Rate limit of ${perSecond} requests per second exceeded.`,
      {
        headers: { 'Retry-After': String(decision.retryAfterSeconds) },
      },
    );
  }
}

async function ingestOne(
  req: Request,
  res: Response,
  apiKey: Principal,
  bodyBytes: number,
  deps: IngestDeps,
  log: Logger,
): Promise<void> {
  if (bodyBytes > deps.limits.maxEventBytes)
    throw tooLarge(`An event is at most ${deps.limits.maxEventBytes} bytes.`);
  const idempotencyKey = readIdempotencyKey(req);
  const validated = validateEventInput(req.body, eventInputSchema, deps.limits.maxEventBytes);
  if (!validated.ok) {
    if (validated.tooLarge) throw tooLarge(validated.errors[0]?.message ?? 'Too large.');
    throw new HttpError(400, 'invalid_event', 'The event is invalid.', {
      fields: validated.errors,
    });
  }
  const outcome = await acceptEvent(validated.value, producerOf(apiKey), idempotencyKey, deps);
  logOutcome(log, apiKey, validated.value.eventType, outcome);
  switch (outcome.kind) {
    case 'accepted':
      res.status(202).json({ eventId: outcome.eventId, receivedAt: outcome.receivedAt });
      return;
    case 'duplicate':
      res
        .status(200)
        .json({ eventId: outcome.eventId, receivedAt: outcome.receivedAt, duplicate: true });
      return;
    case 'conflict':
      throw new HttpError(
        409,
        'idempotency_conflict',
        'This Idempotency-Key was already used with a different event.',
      );
    case 'unavailable':
      throw unavailable(
        deps,
        'The event could not be queued; retry with the same Idempotency-Key.',
      );
  }
}

type BatchResult =
  | { index: number; status: 'accepted' | 'duplicate'; eventId: string }
  | { index: number; status: 'rejected'; errors: { field: string; message: string }[] }
  | { index: number; status: 'conflict'; eventId: string }
  | { index: number; status: 'unavailable' };

async function ingestBatch(
  req: Request,
  res: Response,
  apiKey: Principal,
  bodyBytes: number,
  deps: IngestDeps,
  log: Logger,
): Promise<void> {
  const { maxBatchBytes, maxBatchEvents, maxEventBytes } = deps.limits;
  if (bodyBytes > maxBatchBytes) throw tooLarge(`A batch is at most ${maxBatchBytes} bytes.`);
  const items = (req.body as { events?: unknown } | null)?.events;
  if (!Array.isArray(items)) {
    throw new HttpError(400, 'invalid_batch', 'The body must be {"events": [...]}.', {
      fields: [{ field: 'events', message: 'must be an array of events' }],
    });
  }
  if (items.length === 0 || items.length > maxBatchEvents) {
    throw new HttpError(400, 'invalid_batch', `A batch holds 1 to ${maxBatchEvents} events.`, {
      fields: [
        { field: 'events', message: `has ${items.length} items; 1 to ${maxBatchEvents} allowed` },
      ],
    });
  }
  const producer = producerOf(apiKey);
  const results: BatchResult[] = Array.from({ length: items.length });
  const keyless: { index: number; input: EventInput }[] = [];
  const keyed: Promise<void>[] = [];
  items.forEach((item: unknown, index) => {
    const validated = validateEventInput(item, batchItemSchema, maxEventBytes);
    if (!validated.ok) {
      results[index] = { index, status: 'rejected', errors: validated.errors };
      return;
    }
    const { idempotencyKey, ...input } = validated.value;
    if (idempotencyKey === undefined) keyless.push({ index, input });
    else {
      keyed.push(
        acceptEvent(input, producer, idempotencyKey, deps).then((outcome) => {
          results[index] = batchResult(index, outcome);
        }),
      );
    }
  });
  // Events without a key share one publish call; those with one claim their key first.
  const [keylessOutcomes] = await Promise.all([
    acceptEvents(
      keyless.map(({ input }) => input),
      producer,
      deps,
    ),
    Promise.all(keyed),
  ]);
  keyless.forEach(({ index }, position) => {
    results[index] = batchResult(index, keylessOutcomes[position]!);
  });
  const count = (status: BatchResult['status']) =>
    results.filter((r) => r.status === status).length;
  const summary = {
    accepted: count('accepted') + count('duplicate'),
    rejected: count('rejected') + count('conflict'),
    unavailable: count('unavailable'),
  };
  log.info({ keyId: apiKey.keyId, ...summary }, 'batch ingested');
  // The status says whether the producer must act: 503 retry (idempotency keys make it
  // safe), 400 fix every item, 202 done (per-item results name any rejected item).
  if (summary.unavailable > 0) res.setHeader('Retry-After', String(deps.limits.retryAfterSeconds));
  const status = summary.unavailable > 0 ? 503 : summary.accepted === 0 ? 400 : 202;
  res.status(status).json({ ...summary, results });
}

function batchResult(index: number, outcome: AcceptOutcome): BatchResult {
  if (outcome.kind === 'unavailable') return { index, status: 'unavailable' };
  return { index, status: outcome.kind, eventId: outcome.eventId };
}

function readIdempotencyKey(req: Request): string | undefined {
  const value = req.headers['idempotency-key'];
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (!key || key.length > 255) {
    throw new HttpError(
      400,
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 characters.',
      {
        fields: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 characters' }],
      },
    );
  }
  return key;
}

function producerOf(apiKey: Principal): { keyId: string; source: string } {
  return { keyId: apiKey.keyId, source: 'api' };
}

function tooLarge(message: string): HttpError {
  return new HttpError(413, 'payload_too_large', message);
}

function unavailable(deps: IngestDeps, message: string): HttpError {
  return new HttpError(503, 'unavailable', message, {
    headers: { 'Retry-After': String(deps.limits.retryAfterSeconds) },
  });
}

function logOutcome(
  log: Logger,
  apiKey: Principal,
  eventType: string,
  outcome: AcceptOutcome,
): void {
  const fields = { keyId: apiKey.keyId, eventType, outcome: outcome.kind };
  if (outcome.kind === 'unavailable')
    log.warn({ ...fields, reason: outcome.reason }, 'event not queued');
  else log.debug({ ...fields, eventId: outcome.eventId }, 'event ingested');
}
