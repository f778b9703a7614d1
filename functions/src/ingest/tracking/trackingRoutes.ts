import { HttpError, sendErrorWithSuccessFlag, type FieldError } from '../../lib/http.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AdmittedCall, Principal, Route, RouteContext } from '../../lib/router.ts';
import { acceptEvents, type AcceptDeps } from '../acceptEvent.ts';
import { planViolation, violationFields } from '../../plan/planChecker.ts';
import { hashApiKey, keyIdOf } from '../apiKeys.ts';
import { exceedsDepth, maxJsonDepth, type EventInput } from '../eventInput.ts';
import {
  authNote,
  batchSchema,
  batchSuccessSchema,
  errorResponses,
  messageSchema,
  successSchema,
  trackingLimits,
} from './trackingSchemas.ts';
import { batchPath, beaconBatchPath, shortBatchPath, shortCallPaths } from './trackingPaths.ts';
import {
  trackingCallTypes,
  trackingEventId,
  trackingMessageToEvent,
  type TrackingCallType,
} from './trackingMessageToEvent.ts';
import {
  trackingContext,
  type KeyedTrackingContext,
  type TrackingContextDeps,
} from './trackingContext.ts';

const messageIdentityHint = "A message's messageId makes a resend the same event.";

/** Events from these routes carry this source, beside `api` for `/v1/events`. */
const trackingSource = 'tracking';

type TrackingDeps = AcceptDeps &
  TrackingContextDeps & {
    logger: Logger;
    limits: { maxEventBytes: number; retryAfterSeconds: number };
  };

/** The per-key rate limit the ingest function applies to every producer call. */
export type EnforceRateLimit<Deps> = (apiKey: Principal, deps: Deps) => void;

/**
 * The tracking API's routes on the `ingest` function: `/v1/batch` and one per call type
 * as the server SDKs send them, the short paths of analytics.js, and RudderStack's
 * beacon. Browsers may call every one of them.
 */
export function trackingRoutes<Deps extends TrackingDeps>(
  enforceRateLimit: EnforceRateLimit<Deps>,
): Route<Deps>[] {
  const admit = ({ req, res, log, apiKey }: RouteContext, deps: Deps): AdmittedCall => {
    enforceRateLimit(apiKey!, deps);
    return { req, res, log, apiKey: apiKey! };
  };
  const batch = (path: string, summary: string, maxBytes: number): Route<Deps> => ({
    method: 'POST',
    path,
    role: 'apiKey',
    browser: true,
    tag: 'Tracking API',
    summary,
    description: `${authNote} A message sent again with the same messageId is the same event. At most ${maxBytes} bytes.`,
    idempotencyHint: messageIdentityHint,
    sendError: sendErrorWithSuccessFlag,
    body: batchSchema,
    responses: {
      200: {
        description: 'Every valid message queued; any invalid one listed.',
        schema: batchSuccessSchema,
      },
      ...errorResponses,
    },
    handle: (context, deps) => ingestTrackingBatch(admit(context, deps), deps, maxBytes),
  });
  const single = (type: TrackingCallType, path: string, summary: string): Route<Deps> => ({
    method: 'POST',
    path,
    role: 'apiKey',
    browser: true,
    tag: 'Tracking API',
    summary,
    description: authNote,
    idempotencyHint: messageIdentityHint,
    sendError: sendErrorWithSuccessFlag,
    body: messageSchema,
    responses: {
      200: { description: 'Queued.', schema: successSchema },
      ...errorResponses,
    },
    handle: (context, deps) => ingestTrackingCall(type, admit(context, deps), deps),
  });
  return [
    batch(
      batchPath,
      'Send a batch of analytics SDK calls (Segment / RudderStack)',
      trackingLimits.maxBatchBytes,
    ),
    ...trackingCallTypes.map((type) => single(type, `/v1/${type}`, `Send one ${type} call`)),
    ...Object.entries(shortCallPaths).map(([path, type]) =>
      single(type, path, `Send one ${type} call (analytics.js's path)`),
    ),
    batch(
      shortBatchPath,
      "Send a batch (analytics.js's batching delivery)",
      trackingLimits.maxBatchBytes,
    ),
    batch(
      beaconBatchPath,
      "Send a batch as a beacon (RudderStack's JavaScript SDK)",
      trackingLimits.maxBeaconBytes,
    ),
  ];
}

async function ingestTrackingCall(
  type: TrackingCallType,
  call: AdmittedCall,
  deps: TrackingDeps,
): Promise<void> {
  const { req, res, apiKey, log } = call;
  const bytes = req.rawBody?.length ?? 0;
  const limit = maxMessageBytes(deps);
  if (bytes > limit) {
    throw tooLarge(`A call is at most ${limit} bytes; this one is ${bytes}.`);
  }
  const context = trackingContext(req, apiKey, deps, type);
  const mapped = mapMessage(req.body, context instanceof Promise ? await context : context);
  if (!mapped.ok) {
    throw new HttpError(400, 'invalid_message', `The ${type} call is invalid.`, {
      fields: mapped.errors,
    });
  }
  const [outcome] = await acceptEvents([mapped.event], producerOf(apiKey), deps, [mapped.eventId]);
  if (outcome?.kind === 'unavailable') {
    log.warn({ keyId: apiKey.keyId, reason: outcome.reason }, 'tracking call not queued');
    throw unavailable(deps);
  }
  if (outcome?.kind === 'blocked') throw planViolation(outcome.violations);
  log.debug({ keyId: apiKey.keyId, eventType: mapped.event.eventType }, 'tracking call ingested');
  res.status(200).json({ success: true });
}

type ItemError = { index: number; messageId?: string; fields: FieldError[] };

async function ingestTrackingBatch(
  call: AdmittedCall,
  deps: TrackingDeps,
  maxBatchBytes: number,
): Promise<void> {
  const { req, res, apiKey, log } = call;
  const bytes = req.rawBody?.length ?? 0;
  if (bytes > maxBatchBytes) {
    throw tooLarge(`A batch is at most ${maxBatchBytes} bytes; this one is ${bytes}.`);
  }
  const body = req.body as { batch?: unknown; sentAt?: unknown } | null;
  const items = body?.batch;
  if (!Array.isArray(items) || items.length === 0) {
    throw new HttpError(400, 'invalid_batch', 'The body must be {"batch": [message, …]}.', {
      fields: [{ field: 'batch', message: 'must be a non-empty array of messages' }],
    });
  }
  const limit = maxMessageBytes(deps);
  const keyed = trackingContext(req, apiKey, deps);
  const context = {
    ...(keyed instanceof Promise ? await keyed : keyed),
    batchSentAt: body?.sentAt,
  };
  const events: EventInput[] = [];
  const eventIds: (string | undefined)[] = [];
  const messageIds: (string | undefined)[] = [];
  const indexes: number[] = [];
  const errors: ItemError[] = [];
  let oversized = 0;
  items.forEach((item: unknown, index) => {
    const size = Buffer.byteLength(JSON.stringify(item) ?? '');
    if (size > limit) oversized += 1;
    const mapped =
      size > limit
        ? failed('(root)', `message is ${size} bytes; at most ${limit}`)
        : mapMessage(item, context);
    const messageId = (item as { messageId?: unknown } | null)?.messageId;
    if (mapped.ok) {
      events.push(mapped.event);
      eventIds.push(mapped.eventId);
      messageIds.push(typeof messageId === 'string' ? messageId : undefined);
      indexes.push(index);
      return;
    }
    errors.push({
      index,
      ...(typeof messageId === 'string' ? { messageId } : {}),
      fields: mapped.errors,
    });
  });
  if (events.length === 0) {
    const [code, text] =
      oversized === items.length
        ? ['payload_too_large', `Every message is over ${limit} bytes.`]
        : ['invalid_batch', 'No message of the batch is valid.'];
    throw new HttpError(400, code, text, {
      fields: errors
        .slice(0, 20)
        .flatMap(({ index, fields }) =>
          fields.map((f) => ({ field: `batch.${index}.${f.field}`, message: f.message })),
        ),
    });
  }
  const outcomes = await acceptEvents(events, producerOf(apiKey), deps, eventIds);
  outcomes.forEach((outcome, position) => {
    if (outcome.kind !== 'blocked') return;
    const messageId = messageIds[position];
    errors.push({
      index: indexes[position]!,
      ...(messageId === undefined ? {} : { messageId }),
      fields: violationFields(outcome.violations),
    });
  });
  errors.sort((a, b) => a.index - b.index);
  const unavailableCount = outcomes.filter((outcome) => outcome.kind === 'unavailable').length;
  const blockedCount = outcomes.filter((outcome) => outcome.kind === 'blocked').length;
  if (blockedCount === events.length)
    throw planViolation(outcomes.flatMap((o) => (o.kind === 'blocked' ? o.violations : [])));
  const summary = {
    accepted: events.length - unavailableCount - blockedCount,
    rejected: errors.length,
  };
  log.info(
    { keyId: apiKey.keyId, ...summary, unavailable: unavailableCount },
    'tracking batch ingested',
  );
  // Every message keeps its id on a resend, so the SDK may send the whole batch again.
  if (unavailableCount > 0) throw unavailable(deps);
  res.status(200).json({ success: true, ...summary, ...(errors.length > 0 ? { errors } : {}) });
}

type Mapped =
  | { ok: true; event: EventInput; eventId: string | undefined }
  | { ok: false; errors: FieldError[] };

function mapMessage(message: unknown, context: KeyedTrackingContext): Mapped {
  const writeKeyError = foreignWriteKey(message, context.keyId);
  if (writeKeyError) return failed('writeKey', writeKeyError);
  const mapped = trackingMessageToEvent(message, context);
  if (!mapped.ok) return mapped;
  // The mapping builds a valid event by construction (its unit tests hold every shape it
  // makes against the event schema), so only the nesting depth is left to check.
  if (exceedsDepth(mapped.event, maxJsonDepth))
    return failed('(root)', `nested deeper than ${maxJsonDepth} levels`);
  return {
    ok: true,
    event: mapped.event,
    eventId:
      mapped.messageId === undefined ? undefined : trackingEventId(context.keyId, mapped.messageId),
  };
}

/**
 * A message may carry the key it was sent with (analytics.js puts `writeKey` in every
 * message of a batch). One naming another key than the request's is refused rather than
 * taken under the request's key.
 */
function foreignWriteKey(message: unknown, keyId: string): string | undefined {
  const writeKey = (message as { writeKey?: unknown } | null)?.writeKey;
  if (writeKey === undefined || message === null || typeof message !== 'object') return undefined;
  if (typeof writeKey !== 'string') return 'must be a string';
  return keyIdOf(hashApiKey(writeKey)) === keyId
    ? undefined
    : 'is another key than the one this request was sent with';
}

/** A message is at most 32 KB, or less where the deployment caps events lower. */
function maxMessageBytes(deps: TrackingDeps): number {
  return Math.min(trackingLimits.maxMessageBytes, deps.limits.maxEventBytes);
}

function producerOf(apiKey: Principal): { keyId: string; source: string } {
  return { keyId: apiKey.keyId, source: trackingSource };
}

function failed(field: string, message: string): Mapped {
  return { ok: false, errors: [{ field, message }] };
}

/** The tracking API answers an oversized call or batch with 400, which SDKs do not retry. */
function tooLarge(message: string): HttpError {
  return new HttpError(400, 'payload_too_large', message);
}

function unavailable(deps: TrackingDeps): HttpError {
  return new HttpError(503, 'unavailable', 'Not queued; send the same messages again.', {
    headers: { 'Retry-After': String(deps.limits.retryAfterSeconds) },
  });
}
