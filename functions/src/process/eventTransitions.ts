import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import type { Violation } from '../plan/trackingPlan.ts';
import { maxHistoryEntries, type EventRecord, type HistoryEntry } from './eventRecord.ts';

/** The records an event's transitions write: pure, from the current record and the envelope. */

const maxHistoryMessageChars = 500;

export type TransitionContext = {
  now: Date;
  ttlDays: number;
  /** Keyed hashes of an event's subjects, kept on its record so an erasure can find it. */
  subjectsOf?: (envelope: EventEnvelope) => string[];
};

export function processedRecord(
  current: EventRecord | undefined,
  envelope: EventEnvelope,
  context: TransitionContext,
  violations: readonly Violation[] = [],
): EventRecord {
  const attempts = (current?.attempts ?? 0) + 1;
  return {
    ...baseRecord(envelope, context, current),
    ...violationState(current, violations, context),
    status: 'PROCESSED',
    attempts,
    replays: current?.replays ?? 0,
    processedAt: context.now,
    processedHour: hourBucket(context.now),
    // A processed event keeps its failure history but not its body.
    failedAt: current?.failedAt ?? null,
    lastError: current?.lastError ?? null,
    // A first-time success needs no history: the document says it all.
    history: current
      ? appendHistory(current, { status: 'PROCESSED', attempts, error: null }, context)
      : [],
  };
}

export function failedRecord(
  current: EventRecord | undefined,
  envelope: EventEnvelope,
  error: { code: string; message: string },
  context: TransitionContext,
): EventRecord {
  const attempts = (current?.attempts ?? 0) + 1;
  return {
    ...baseRecord(envelope, context, current),
    status: 'FAILED',
    attempts,
    replays: current?.replays ?? 0,
    failedAt: context.now,
    lastError: { ...error, at: context.now },
    envelope: JSON.stringify(envelope),
    history: appendHistory(current, { status: 'FAILED', attempts, error }, context),
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
  const base = envelope ? baseRecord(envelope, context, current) : emptyRecord(eventId, context);
  const attempts = (current?.attempts ?? 0) + (detail.countsAsAttempt ? 1 : 0);
  return {
    ...base,
    subjects: envelope ? base.subjects : (current?.subjects ?? []),
    status: 'DEAD_LETTER',
    attempts,
    replays: current?.replays ?? 0,
    failedAt: current?.failedAt ?? context.now,
    deadLetteredAt: context.now,
    lastError: current?.lastError ?? { ...detail.error, at: context.now },
    envelope: envelope ? JSON.stringify(envelope) : (detail.rawMessage ?? null),
    history: appendHistory(
      current,
      { status: 'DEAD_LETTER', attempts, error: detail.error },
      context,
    ),
  };
}

/**
 * An event the tracking plan holds back: kept whole with its violations, not loaded,
 * delivered or counted, until a replay finds it passes the plan. `failedAt` is when it
 * was (last) quarantined, so quarantined events list and replay like failed ones.
 */
export function quarantinedRecord(
  current: EventRecord | undefined,
  envelope: EventEnvelope,
  violations: readonly Violation[],
  context: TransitionContext,
  countsAsAttempt = true,
): EventRecord {
  const attempts = (current?.attempts ?? 0) + (countsAsAttempt ? 1 : 0);
  const first = violations[0];
  const error = {
    code: 'plan_violation',
    message: first
      ? `${first.instancePath || '(root)'} ${first.message}` +
        (violations.length > 1 ? ` (and ${violations.length - 1} more)` : '')
      : 'breaks the tracking plan',
  };
  return {
    ...baseRecord(envelope, context, current),
    ...violationState(current, violations, context),
    status: 'QUARANTINED',
    attempts,
    replays: current?.replays ?? 0,
    failedAt: context.now,
    lastError: { ...error, at: context.now },
    envelope: JSON.stringify(envelope),
    history: appendHistory(current, { status: 'QUARANTINED', attempts, error }, context),
  };
}

/**
 * A recheck of a quarantined event that still fails: the same record, the new
 * violations. `failedAt` stays when it was quarantined, so a replay's pages, ordered on
 * it, never move under the replay.
 */
export function requarantinedRecord(
  current: EventRecord,
  envelope: EventEnvelope,
  violations: readonly Violation[],
  context: TransitionContext,
): EventRecord {
  return {
    ...quarantinedRecord(current, envelope, violations, context, false),
    failedAt: current.failedAt,
  };
}

function violationState(
  current: EventRecord | undefined,
  violations: readonly Violation[],
  context: TransitionContext,
): Pick<EventRecord, 'violations' | 'violationDay'> {
  if (violations.length === 0)
    return { violations: [], violationDay: current?.violationDay ?? null };
  return {
    violations: [...violations],
    violationDay: current?.violationDay ?? context.now.toISOString().slice(0, 10),
  };
}

/**
 * An operator's replay: back into the pipeline with a fresh attempt count. The failure
 * fields stay (the event is still unprocessed, and admin queries filter on them).
 */
export function queuedRecord(current: EventRecord, context: TransitionContext): EventRecord {
  const replays = current.replays + 1;
  const queued: EventRecord = {
    ...current,
    status: 'QUEUED',
    attempts: 0,
    replays,
    queuedAt: context.now,
    deadLetteredAt: null,
    updatedAt: context.now,
    expireAt: expiry(context),
  };
  return {
    ...queued,
    history: appendHistory(
      current,
      { status: 'QUEUED', attempts: 0, error: null },
      context,
      replays,
    ),
  };
}

/** The UTC hour of a time, as stored in `processedHour`. */
export function hourBucket(date: Date): string {
  return date.toISOString().slice(0, 13);
}

function appendHistory(
  current: EventRecord | undefined,
  entry: Pick<HistoryEntry, 'status' | 'attempts' | 'error'>,
  context: TransitionContext,
  replay = current?.replays ?? 0,
): HistoryEntry[] {
  const error = entry.error
    ? { code: entry.error.code, message: entry.error.message.slice(0, maxHistoryMessageChars) }
    : null;
  const history = [...(current?.history ?? []), { ...entry, error, at: context.now, replay }];
  return history.slice(-maxHistoryEntries);
}

function baseRecord(
  envelope: EventEnvelope,
  context: TransitionContext,
  current: EventRecord | undefined,
): EventRecord {
  return {
    ...emptyRecord(envelope.eventId, context),
    eventType: envelope.eventType,
    source: envelope.source,
    producer: envelope.producer,
    idempotencyKey: envelope.idempotencyKey ?? null,
    receivedAt: new Date(envelope.receivedAt),
    occurredAt: new Date(envelope.occurredAt),
    subjects: context.subjectsOf?.(envelope) ?? current?.subjects ?? [],
  };
}

function emptyRecord(eventId: string, context: TransitionContext): EventRecord {
  return {
    eventId,
    status: 'FAILED',
    eventType: null,
    source: null,
    producer: null,
    idempotencyKey: null,
    attempts: 0,
    replays: 0,
    receivedAt: null,
    occurredAt: null,
    processedAt: null,
    processedHour: null,
    failedAt: null,
    deadLetteredAt: null,
    queuedAt: null,
    lastError: null,
    envelope: null,
    violations: [],
    violationDay: null,
    subjects: [],
    history: [],
    updatedAt: context.now,
    expireAt: expiry(context),
  };
}

function expiry(context: TransitionContext): Date {
  return new Date(context.now.getTime() + context.ttlDays * 86_400_000);
}
