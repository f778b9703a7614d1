import { HttpError, renameFields, requireJsonContentType } from '../lib/http.ts';
import { idempotencyKeyOf } from '../lib/idempotencyHeader.ts';
import type { Logger } from '../lib/logger.ts';
import type { AdmittedCall, Principal, RouteContext } from '../lib/router.ts';
import { acceptEvent, acceptMany, type AcceptItem, type AcceptOutcome } from './acceptEvent.ts';
import { batchItemSchema, eventInputSchema, validateEventInput } from './eventInput.ts';
import type { IngestDeps } from './ingestDeps.ts';
import { planViolation, violationFields } from '../plan/planChecker.ts';

/** `POST /v1/events` and `POST /v1/events/batch`: admission, validation, answers. */

/** The rate limit, then the media type; the key was authenticated by the router. */
export function admit(context: RouteContext, deps: IngestDeps): AdmittedCall {
  const { req, res, log, apiKey } = context;
  enforceRateLimit(apiKey!, deps);
  requireJsonContentType(req);
  return { req, res, log, apiKey: apiKey! };
}

export function enforceRateLimit(key: Principal, deps: IngestDeps): void {
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

/** What one event sent to any producer route came to, once Pub/Sub has it. */
export type TakenEvent =
  | { kind: 'accepted' | 'duplicate'; eventId: string; receivedAt: string; eventType: string }
  /** The idempotency key was used before with a different event: `eventId` is that one's. */
  | { kind: 'conflict'; eventId: string; eventType: string };

/**
 * One event, whatever route or dialect it came through: the size limit, the event
 * schema, the idempotency key, the publish. What the producer must fix or retry is
 * thrown as an HttpError (400, 413, 503), its fields named as the route's own shape
 * names them (`fieldNames`: ours → theirs); the answer is the route's to give.
 */
export async function takeEvent(
  call: AdmittedCall,
  raw: unknown,
  deps: IngestDeps,
  options: { idempotencyKey: string | undefined; fieldNames?: Readonly<Record<string, string>> },
): Promise<TakenEvent> {
  const { req, apiKey, log } = call;
  if ((req.rawBody?.length ?? 0) > deps.limits.maxEventBytes)
    throw tooLarge(`An event is at most ${deps.limits.maxEventBytes} bytes.`);
  const validated = validateEventInput(raw, eventInputSchema, deps.limits.maxEventBytes);
  if (!validated.ok) {
    if (validated.tooLarge) throw tooLarge(validated.errors[0]?.message ?? 'Too large.');
    throw new HttpError(400, 'invalid_event', 'The event is invalid.', {
      fields: renameFields(validated.errors, options.fieldNames),
    });
  }
  const { eventType } = validated.value;
  const outcome = await acceptEvent(
    validated.value,
    producerOf(apiKey),
    options.idempotencyKey,
    deps,
  );
  logOutcome(log, apiKey, eventType, outcome);
  if (outcome.kind === 'unavailable')
    throw unavailable(deps, 'The event could not be queued; retry with the same idempotency key.');
  if (outcome.kind === 'blocked') throw planViolation(outcome.violations);
  return { ...outcome, eventType };
}

/** `POST /v1/events`: 202, 200 for a repeat of an idempotency key, 409 for its misuse. */
export async function ingestOne(call: AdmittedCall, deps: IngestDeps): Promise<void> {
  const taken = await takeEvent(call, call.req.body, deps, {
    idempotencyKey: idempotencyKeyOf(call.req),
  });
  switch (taken.kind) {
    case 'accepted':
      call.res.status(202).json({ eventId: taken.eventId, receivedAt: taken.receivedAt });
      return;
    case 'duplicate':
      call.res
        .status(200)
        .json({ eventId: taken.eventId, receivedAt: taken.receivedAt, duplicate: true });
      return;
    case 'conflict':
      throw idempotencyConflict();
  }
}

export function idempotencyConflict(): HttpError {
  return new HttpError(
    409,
    'idempotency_conflict',
    'This idempotency key was already used with a different event.',
  );
}

type BatchResult =
  | { index: number; status: 'accepted' | 'duplicate'; eventId: string }
  | { index: number; status: 'rejected'; errors: { field: string; message: string }[] }
  | { index: number; status: 'conflict'; eventId: string }
  | { index: number; status: 'unavailable' };

export async function ingestBatch(call: AdmittedCall, deps: IngestDeps): Promise<void> {
  const { req, res, apiKey, log } = call;
  const { maxBatchBytes, maxBatchEvents, maxEventBytes } = deps.limits;
  if ((req.rawBody?.length ?? 0) > maxBatchBytes)
    throw tooLarge(`A batch is at most ${maxBatchBytes} bytes.`);
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
  const results: BatchResult[] = Array.from({ length: items.length });
  const valid: { index: number; item: AcceptItem }[] = [];
  items.forEach((item: unknown, index) => {
    const validated = validateEventInput(item, batchItemSchema, maxEventBytes);
    if (!validated.ok) {
      results[index] = { index, status: 'rejected', errors: validated.errors };
      return;
    }
    const { idempotencyKey, ...input } = validated.value;
    valid.push({ index, item: { input, idempotencyKey } });
  });
  // Keys are claimed first; then every event goes out in as few messages as fit.
  const outcomes = await acceptMany(
    valid.map(({ item }) => item),
    producerOf(apiKey),
    deps,
  );
  valid.forEach(({ index }, position) => {
    results[index] = batchResult(index, outcomes[position]!);
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
  if (outcome.kind === 'blocked')
    return { index, status: 'rejected', errors: violationFields(outcome.violations) };
  return { index, status: outcome.kind, eventId: outcome.eventId };
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
  else if (outcome.kind === 'blocked')
    log.info({ ...fields, violations: outcome.violations.length }, 'event blocked by the plan');
  else log.debug({ ...fields, eventId: outcome.eventId }, 'event ingested');
}
