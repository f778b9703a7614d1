import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from '../lib/logger.ts';
import { traceFields } from '../lib/logger.ts';
import {
  bearerToken,
  HttpError,
  internalError,
  methodNotAllowed,
  notFound,
  requireJsonContentType,
  routePath,
  sendHttpError,
} from '../lib/http.ts';
import { acceptEvent, type AcceptDeps, type AcceptOutcome } from './acceptEvent.ts';
import type { ApiKey, ApiKeyAuthenticator } from './apiKeys.ts';
import { batchItemSchema, eventInputSchema, validateEventInput } from './eventInput.ts';
import type { TokenBucketRateLimiter } from './rateLimiter.ts';

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

const routes: Record<string, 'single' | 'batch'> = {
  '/v1/events': 'single',
  '/v1/events/batch': 'batch',
};

/** `POST /v1/events` and `POST /v1/events/batch`, for producers. */
export function createIngestHandler(getDeps: () => IngestDeps): HttpFunction {
  return async (req: Request, res: Response) => {
    const deps = getDeps();
    const log = deps.logger.child(traceFields(req.headers, deps.projectId));
    try {
      const route = routes[routePath(req)];
      if (!route) throw notFound(routePath(req));
      if (req.method !== 'POST') throw methodNotAllowed(['POST']);
      const apiKey = await authenticate(req, deps);
      enforceRateLimit(apiKey, deps);
      requireJsonContentType(req);
      const bodyBytes = req.rawBody?.length ?? 0;
      if (route === 'single') await ingestOne(req, res, apiKey, bodyBytes, deps, log);
      else await ingestBatch(req, res, apiKey, bodyBytes, deps, log);
    } catch (error) {
      if (error instanceof HttpError) {
        sendHttpError(res, error);
        return;
      }
      log.error({ err: error }, 'ingest failed');
      internalError(res);
    }
  };
}

async function authenticate(req: Request, deps: IngestDeps): Promise<ApiKey> {
  const token = bearerToken(req);
  if (!token) {
    throw new HttpError(401, 'unauthenticated', 'Send an API key as Authorization: Bearer <key>.', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  let key: ApiKey | undefined;
  try {
    key = await deps.authenticator.authenticate(token);
  } catch {
    throw unavailable(deps, 'The key store is unavailable.');
  }
  if (!key) {
    throw new HttpError(401, 'unauthenticated', 'The API key is unknown or revoked.', {
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
  return key;
}

function enforceRateLimit(key: ApiKey, deps: IngestDeps): void {
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
  apiKey: ApiKey,
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
  apiKey: ApiKey,
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
  const results = await Promise.all(
    items.map(async (item, index): Promise<BatchResult> => {
      const validated = validateEventInput(item, batchItemSchema, maxEventBytes);
      if (!validated.ok) return { index, status: 'rejected', errors: validated.errors };
      const { idempotencyKey, ...input } = validated.value;
      const outcome = await acceptEvent(input, producer, idempotencyKey, deps);
      if (outcome.kind === 'unavailable') return { index, status: 'unavailable' };
      return { index, status: outcome.kind, eventId: outcome.eventId };
    }),
  );
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

function producerOf(apiKey: ApiKey): { keyId: string; source: string } {
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

function logOutcome(log: Logger, apiKey: ApiKey, eventType: string, outcome: AcceptOutcome): void {
  const fields = { keyId: apiKey.keyId, eventType, outcome: outcome.kind };
  if (outcome.kind === 'unavailable')
    log.warn({ ...fields, reason: outcome.reason }, 'event not queued');
  else log.debug({ ...fields, eventId: outcome.eventId }, 'event ingested');
}
