import { defaults } from '../lib/defaults.ts';
import type { AttemptVerdict, SendResult } from './classifyResponse.ts';
import type { WebhookEndpoint } from './endpoint.ts';

/**
 * One event's delivery to one endpoint, `events/{eventId}/deliveries/{endpointId}`:
 *
 *   (none|pending|retrying) ──2xx──▶ delivered           (never sent again)
 *                           ──5xx, 408, 429, timeout──▶ retrying ──Pub/Sub gives up──▶ exhausted
 *                           ──other 4xx, unsafe URL──▶ failed
 *                           ──410, or the endpoint's failure run reaches the limit──▶ endpoint_disabled
 *   endpoint disabled ──▶ endpoint_disabled (kept, not sent)      replay ──▶ pending
 */
export const deliveryStatuses = [
  'pending',
  'retrying',
  'delivered',
  'failed',
  'exhausted',
  'endpoint_disabled',
] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export type DeliveryError = { code: string; message: string };

export type Attempt = {
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  outcome: AttemptVerdict['kind'];
  error: DeliveryError | null;
  responseExcerpt: string | null;
};

export type DeliveryRecord = {
  eventId: string;
  endpointId: string;
  eventType: string;
  status: DeliveryStatus;
  /** The latest attempts, oldest first (at most `webhookMaxLoggedAttempts`). */
  attempts: Attempt[];
  attemptCount: number;
  createdAt: Date;
  /**
   * The UTC hour of `createdAt` (`2026-01-02T03`), by which an endpoint's recent
   * deliveries are listed: an index on `createdAt` itself would take every write at its
   * end, while entries within an hour are ordered by the random event id, so writes spread.
   */
  createdHour: string;
  updatedAt: Date;
  deliveredAt: Date | null;
  /** When the delivery first failed; only undelivered deliveries carry it. */
  failedAt: Date | null;
  exhaustedAt: Date | null;
  lastError: DeliveryError | null;
  /** The event as JSON, kept while the delivery is not done, for replay. */
  event: string | null;
  expireAt: Date;
};

/** Statuses an operator may replay. */
export function isReplayable(status: DeliveryStatus): boolean {
  return status !== 'delivered';
}

export type DeliveryDecision =
  | { kind: 'send' }
  | { kind: 'skip'; reason: 'already_delivered' }
  | { kind: 'hold'; reason: 'endpoint_disabled' | 'endpoint_deleted' };

/** Whether to send, given what is stored of the delivery and its endpoint. */
export function decideDelivery(
  current: DeliveryRecord | undefined,
  endpoint: WebhookEndpoint | undefined,
): DeliveryDecision {
  if (current?.status === 'delivered') return { kind: 'skip', reason: 'already_delivered' };
  if (!endpoint) return { kind: 'hold', reason: 'endpoint_deleted' };
  if (!endpoint.enabled) return { kind: 'hold', reason: 'endpoint_disabled' };
  return { kind: 'send' };
}

/** What an attempt does to its endpoint: whether it left the endpoint disabled. */
export type EndpointChange =
  | { kind: 'none' }
  | {
      kind: 'failure';
      error: DeliveryError;
      disable: 'endpoint_gone' | 'consecutive_failures' | null;
    };

/**
 * A success changes nothing here (the health recorder keeps the run); a failure says
 * whether the endpoint is disabled: at once by a 410, or when the recorder found its run
 * of failures at the limit.
 */
export function endpointChange(
  verdict: AttemptVerdict,
  disabled: 'endpoint_gone' | 'consecutive_failures' | null,
): EndpointChange {
  if (verdict.kind === 'delivered') return { kind: 'none' };
  const error = { code: verdict.code, message: verdict.message };
  return { kind: 'failure', error, disable: verdict.kind === 'gone' ? 'endpoint_gone' : disabled };
}

export type DeliveryContext = { now: Date; ttlDays: number };

export type DeliveryKey = { eventId: string; endpointId: string; eventType: string; event: string };

/** The record after one attempt; `retry` tells the caller to ask Pub/Sub for another. */
export function recordAttempt(
  current: DeliveryRecord | undefined,
  key: DeliveryKey,
  result: SendResult,
  verdict: AttemptVerdict,
  change: EndpointChange,
  context: DeliveryContext,
): { record: DeliveryRecord; retry: boolean } {
  const base = current ?? newRecord(key, context);
  const attempt: Attempt = {
    at: context.now,
    statusCode: result.kind === 'response' ? result.statusCode : null,
    latencyMs: result.latencyMs,
    outcome: verdict.kind,
    error: verdict.kind === 'delivered' ? null : { code: verdict.code, message: verdict.message },
    responseExcerpt: result.kind === 'response' && result.excerpt ? result.excerpt : null,
  };
  const attempts = [...base.attempts, attempt].slice(-defaults.webhookMaxLoggedAttempts);
  const logged = { ...base, attempts, attemptCount: base.attemptCount + 1, updatedAt: context.now };
  if (verdict.kind === 'delivered') {
    return {
      record: {
        ...logged,
        status: 'delivered',
        deliveredAt: context.now,
        failedAt: null,
        event: null,
      },
      retry: false,
    };
  }
  const failing = {
    ...logged,
    failedAt: base.failedAt ?? context.now,
    lastError: attempt.error,
    event: base.event ?? key.event,
  };
  const disabled = change.kind === 'failure' && change.disable !== null;
  if (disabled) return { record: { ...failing, status: 'endpoint_disabled' }, retry: false };
  if (verdict.kind === 'failed') return { record: { ...failing, status: 'failed' }, retry: false };
  return { record: { ...failing, status: 'retrying' }, retry: true };
}

/** Kept for replay without sending: the endpoint is disabled or was deleted. */
export function heldRecord(
  current: DeliveryRecord | undefined,
  key: DeliveryKey,
  reason: 'endpoint_disabled' | 'endpoint_deleted',
  context: DeliveryContext,
): DeliveryRecord {
  const base = current ?? newRecord(key, context);
  return {
    ...base,
    status: reason === 'endpoint_disabled' ? 'endpoint_disabled' : 'failed',
    failedAt: base.failedAt ?? context.now,
    lastError: {
      code: reason,
      message:
        reason === 'endpoint_disabled'
          ? 'The endpoint is disabled; enable it and replay.'
          : 'The endpoint was deleted.',
    },
    event: base.event ?? key.event,
    updatedAt: context.now,
  };
}

/** Pub/Sub gave up on the delivery: every attempt failed. */
export function exhaustedRecord(
  current: DeliveryRecord | undefined,
  key: DeliveryKey,
  context: DeliveryContext,
): DeliveryRecord {
  const base = current ?? newRecord(key, context);
  return {
    ...base,
    status: 'exhausted',
    exhaustedAt: context.now,
    failedAt: base.failedAt ?? context.now,
    lastError: base.lastError ?? {
      code: 'attempts_exhausted',
      message: 'Pub/Sub stopped redelivering.',
    },
    event: base.event ?? key.event,
    updatedAt: context.now,
  };
}

/** An operator asked to send it again. */
export function replayedRecord(current: DeliveryRecord, now: Date): DeliveryRecord {
  return { ...current, status: 'pending', exhaustedAt: null, updatedAt: now };
}

function newRecord(key: DeliveryKey, context: DeliveryContext): DeliveryRecord {
  return {
    eventId: key.eventId,
    endpointId: key.endpointId,
    eventType: key.eventType,
    status: 'pending',
    attempts: [],
    attemptCount: 0,
    createdAt: context.now,
    createdHour: context.now.toISOString().slice(0, 13),
    updatedAt: context.now,
    deliveredAt: null,
    failedAt: null,
    exhaustedAt: null,
    lastError: null,
    event: null,
    expireAt: new Date(context.now.getTime() + context.ttlDays * 86_400_000),
  };
}
