import type { EventEnvelope } from '../lib/eventEnvelope.ts';

/**
 * An event's life in Firestore. There is no document until the first processing
 * attempt: until then the event lives in Pub/Sub alone.
 *
 *   (none) ──claim (create, concurrent with the fan-out publish)──▶ PROCESSED, no history
 *   (none) ──ok──▶ PROCESSED
 *   (none) ──retriable failure──▶ FAILED ──ok──▶ PROCESSED
 *                                   └─failure──▶ FAILED (attempts + 1)
 *   (none|FAILED|QUEUED) ──attempts exhausted, or permanently invalid──▶ DEAD_LETTER
 *   FAILED|DEAD_LETTER ──replay (operator)──▶ QUEUED ──processed like FAILED──▶ …
 *
 * A replay resets `attempts` (Pub/Sub counts the republished message afresh) and
 * counts itself in `replays`; `history` keeps every transition after the first attempt.
 */
export type EventStatus = 'PROCESSED' | 'FAILED' | 'DEAD_LETTER' | 'QUEUED';

export const eventStatuses: readonly EventStatus[] = [
  'PROCESSED',
  'FAILED',
  'DEAD_LETTER',
  'QUEUED',
];

/** Statuses of events that have not been processed and carry their envelope. */
export const unprocessedStatuses: readonly EventStatus[] = ['FAILED', 'DEAD_LETTER', 'QUEUED'];

export type LastError = { code: string; message: string; at: Date };

/** One transition, as shown to operators. */
export type HistoryEntry = {
  at: Date;
  status: EventStatus;
  /** Attempts of the current replay round after this transition. */
  attempts: number;
  /** Which replay round this happened in: 0 before any replay. */
  replay: number;
  error: { code: string; message: string } | null;
};

/** Older entries are dropped beyond this many, so a document never grows without bound. */
export const maxHistoryEntries = 50;
const maxHistoryMessageChars = 500;

export type EventRecord = {
  eventId: string;
  status: EventStatus;
  eventType: string | null;
  source: string | null;
  producer: string | null;
  /** Processing attempts we have seen in this replay round (Pub/Sub does not tell a push endpoint). */
  attempts: number;
  /** How many times an operator replayed the event. */
  replays: number;
  receivedAt: Date | null;
  occurredAt: Date | null;
  processedAt: Date | null;
  /**
   * The UTC hour of processing (`2026-01-02T03`), for throughput counts. Equal values
   * are ordered by the random event id in the index, so it does not hotspot the way
   * an index on `processedAt` would.
   */
  processedHour: string | null;
  /** Only failed events carry these, so queries on them touch failed events only. */
  failedAt: Date | null;
  deadLetteredAt: Date | null;
  queuedAt: Date | null;
  lastError: LastError | null;
  /** The whole event while it is not processed, so it can be replayed. */
  envelope: string | null;
  history: HistoryEntry[];
  updatedAt: Date;
  expireAt: Date;
};

/**
 * A PROCESSED record without history was written by a first delivery's claim, at the
 * same time as its fan-out publish: nothing in Firestore says that publish was
 * acknowledged. A PROCESSED record with history was written after the publish was.
 */
export function isUnconfirmedClaim(record: EventRecord): boolean {
  return record.status === 'PROCESSED' && record.history.length === 0;
}

/** How this delivery's fan-out (events-processed and webhook deliveries) ended. */
export type FanOutResult =
  { kind: 'published' } | { kind: 'failed'; error: { code: string; message: string } };

export type SettlementDecision =
  | { kind: 'ack'; reason: 'already_processed' | 'dead_lettered' }
  | { kind: 'write'; record: EventRecord; afterWrite: 'ack' | 'retry' };

/**
 * What a delivery whose fan-out has already been attempted does with the stored record.
 * `ownClaim`: this delivery's own claim (create) wrote `current`, so its attempt is
 * already counted there. The fan-out may repeat one a previous delivery published:
 * downstream consumers deduplicate by event id.
 */
export function decideSettlement(
  current: EventRecord | undefined,
  fanOut: FanOutResult,
  envelope: EventEnvelope,
  context: TransitionContext,
  ownClaim: boolean,
): SettlementDecision {
  if (fanOut.kind === 'published') {
    if (current?.status === 'PROCESSED') return { kind: 'ack', reason: 'already_processed' };
    // FAILED, QUEUED, no record, or DEAD_LETTER: the fan-out went out, so the record says so.
    return {
      kind: 'write',
      record: processedRecord(current, envelope, context),
      afterWrite: 'ack',
    };
  }
  if (current?.status === 'DEAD_LETTER') return { kind: 'ack', reason: 'dead_lettered' };
  if (current?.status === 'PROCESSED') {
    if (!isUnconfirmedClaim(current)) return { kind: 'ack', reason: 'already_processed' };
    // A claim whose publish may never have left: back to FAILED, so nothing is lost.
    const base = ownClaim ? undefined : current;
    return {
      kind: 'write',
      record: failedRecord(base, envelope, fanOut.error, context),
      afterWrite: 'retry',
    };
  }
  return {
    kind: 'write',
    record: failedRecord(current, envelope, fanOut.error, context),
    afterWrite: 'retry',
  };
}

export type DeadLetterDecision =
  | { kind: 'record' }
  | { kind: 'republish' }
  | {
      kind: 'skip';
      reason: 'already_processed' | 'already_dead_lettered' | 'superseded_by_replay';
    };

/**
 * What to do with a message Pub/Sub gave up on. `messageReplay` is the replay round
 * the message was published in (its `replay` attribute, 0 for the original): a copy
 * from an earlier round must not bury a replay that is still in flight.
 */
export function decideDeadLetter(
  current: EventRecord | undefined,
  messageReplay: number,
): DeadLetterDecision {
  // An unconfirmed claim: the message was never acknowledged, so its fan-out may not
  // have gone out. Publishing it again is harmless downstream; losing it is not.
  if (current && isUnconfirmedClaim(current)) return { kind: 'republish' };
  // A late success (its acknowledgement lost) can precede the dead-letter copy.
  if (current?.status === 'PROCESSED') return { kind: 'skip', reason: 'already_processed' };
  if (current?.status === 'DEAD_LETTER') return { kind: 'skip', reason: 'already_dead_lettered' };
  if (current && current.replays > messageReplay)
    return { kind: 'skip', reason: 'superseded_by_replay' };
  return { kind: 'record' };
}

export type ReplayDecision =
  { kind: 'replay' } | { kind: 'refuse'; reason: 'processed' | 'queued' | 'no_envelope' };

/**
 * Whether an operator may replay the event now. A QUEUED event is normally on its way;
 * one queued longer than `staleQueuedMs` ago is taken as stuck (its publish was lost
 * after the status was written) and may be replayed again.
 */
export function decideReplay(
  current: EventRecord,
  now: Date,
  staleQueuedMs: number,
): ReplayDecision {
  if (current.status === 'PROCESSED') return { kind: 'refuse', reason: 'processed' };
  if (current.status === 'QUEUED') {
    const queuedAt = current.queuedAt?.getTime() ?? 0;
    if (now.getTime() - queuedAt < staleQueuedMs) return { kind: 'refuse', reason: 'queued' };
  }
  if (!current.envelope) return { kind: 'refuse', reason: 'no_envelope' };
  return { kind: 'replay' };
}

export type TransitionContext = { now: Date; ttlDays: number };

export function processedRecord(
  current: EventRecord | undefined,
  envelope: EventEnvelope,
  context: TransitionContext,
): EventRecord {
  const attempts = (current?.attempts ?? 0) + 1;
  return {
    ...baseRecord(envelope, context),
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
    ...baseRecord(envelope, context),
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
  const base = envelope ? baseRecord(envelope, context) : emptyRecord(eventId, context);
  const attempts = (current?.attempts ?? 0) + (detail.countsAsAttempt ? 1 : 0);
  return {
    ...base,
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
    history: [],
    updatedAt: context.now,
    expireAt: expiry(context),
  };
}

function expiry(context: TransitionContext): Date {
  return new Date(context.now.getTime() + context.ttlDays * 86_400_000);
}
