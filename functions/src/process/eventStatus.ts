import type { EventEnvelope } from '../lib/eventEnvelope.ts';

/**
 * An event's life in Firestore. There is no document until the first processing
 * attempt: until then the event lives in Pub/Sub alone.
 *
 *   (none) ──ok──▶ PROCESSED
 *   (none) ──retriable failure──▶ FAILED ──ok──▶ PROCESSED
 *                                   └─failure──▶ FAILED (attempts + 1)
 *   (none|FAILED) ──attempts exhausted, or permanently invalid──▶ DEAD_LETTER
 */
export type EventStatus = 'PROCESSED' | 'FAILED' | 'DEAD_LETTER';

export type LastError = { code: string; message: string; at: Date };

export type EventRecord = {
  eventId: string;
  status: EventStatus;
  eventType: string | null;
  source: string | null;
  producer: string | null;
  /** Processing attempts we have seen (Pub/Sub does not tell a push endpoint). */
  attempts: number;
  receivedAt: Date | null;
  occurredAt: Date | null;
  processedAt: Date | null;
  /** Only failed events carry these, so queries on them touch failed events only. */
  failedAt: Date | null;
  deadLetteredAt: Date | null;
  lastError: LastError | null;
  /** The whole event while it is not processed, so it can be replayed. */
  envelope: string | null;
  updatedAt: Date;
  expireAt: Date;
};

export type ProcessingDecision =
  { kind: 'process' } | { kind: 'skip'; reason: 'already_processed' | 'dead_lettered' };

/** What to do with a delivery, given what Firestore already knows of the event. */
export function decideProcessing(current: EventRecord | undefined): ProcessingDecision {
  if (!current || current.status === 'FAILED') return { kind: 'process' };
  if (current.status === 'PROCESSED') return { kind: 'skip', reason: 'already_processed' };
  return { kind: 'skip', reason: 'dead_lettered' };
}

export type TransitionContext = { now: Date; ttlDays: number };

export function processedRecord(
  current: EventRecord | undefined,
  envelope: EventEnvelope,
  context: TransitionContext,
): EventRecord {
  return {
    ...baseRecord(envelope, context),
    status: 'PROCESSED',
    attempts: (current?.attempts ?? 0) + 1,
    processedAt: context.now,
    // A processed event keeps its failure history but not its body.
    failedAt: current?.failedAt ?? null,
    lastError: current?.lastError ?? null,
  };
}

export function failedRecord(
  current: EventRecord | undefined,
  envelope: EventEnvelope,
  error: { code: string; message: string },
  context: TransitionContext,
): EventRecord {
  return {
    ...baseRecord(envelope, context),
    status: 'FAILED',
    attempts: (current?.attempts ?? 0) + 1,
    failedAt: context.now,
    lastError: { ...error, at: context.now },
    envelope: JSON.stringify(envelope),
  };
}

/**
 * The end of the line: after the last attempt, or at once for a message that can
 * never be processed. Without a readable envelope the raw message text is kept.
 */
export function deadLetterRecord(
  eventId: string,
  current: EventRecord | undefined,
  envelope: EventEnvelope | undefined,
  detail: {
    error: { code: string; message: string };
    rawMessage?: string;
    countsAsAttempt: boolean;
  },
  context: TransitionContext,
): EventRecord {
  const base = envelope ? baseRecord(envelope, context) : emptyRecord(eventId, context);
  return {
    ...base,
    status: 'DEAD_LETTER',
    attempts: (current?.attempts ?? 0) + (detail.countsAsAttempt ? 1 : 0),
    failedAt: current?.failedAt ?? context.now,
    deadLetteredAt: context.now,
    lastError: current?.lastError ?? { ...detail.error, at: context.now },
    envelope: envelope ? JSON.stringify(envelope) : (detail.rawMessage ?? null),
  };
}

function baseRecord(envelope: EventEnvelope, context: TransitionContext): EventRecord {
  return {
    ...emptyRecord(envelope.eventId, context),
    eventType: envelope.eventType,
    source: envelope.source,
    producer: envelope.producer,
    receivedAt: new Date(envelope.receivedAt),
    occurredAt: new Date(envelope.occurredAt),
  };
}

function emptyRecord(eventId: string, context: TransitionContext): EventRecord {
  return {
    eventId,
    status: 'FAILED',
    eventType: null,
    source: null,
    producer: null,
    attempts: 0,
    receivedAt: null,
    occurredAt: null,
    processedAt: null,
    failedAt: null,
    deadLetteredAt: null,
    lastError: null,
    envelope: null,
    updatedAt: context.now,
    expireAt: new Date(context.now.getTime() + context.ttlDays * 86_400_000),
  };
}
