import type { Violation } from '../plan/trackingPlan.ts';

/** An event's status record in Firestore, as the processor and operators see it. */

export const eventStatuses = [
  'PROCESSED',
  'FAILED',
  'DEAD_LETTER',
  'QUEUED',
  'QUARANTINED',
] as const;

export type EventStatus = (typeof eventStatuses)[number];

/** Statuses of events that have not been processed and carry their envelope. */
export const unprocessedStatuses: readonly EventStatus[] = [
  'FAILED',
  'DEAD_LETTER',
  'QUEUED',
  'QUARANTINED',
];

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

export type EventRecord = {
  eventId: string;
  status: EventStatus;
  eventType: string | null;
  source: string | null;
  producer: string | null;
  /** The idempotency key the producer sent the event with, if any. */
  idempotencyKey: string | null;
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
  /**
   * How the event broke the tracking plan when it was last checked: kept on a
   * quarantined event, and on one the plan allowed through with its violations.
   */
  violations: Violation[];
  /** The UTC day (`2026-01-02`) the event first broke the plan, for the day's examples. */
  violationDay: string | null;
  /** Keyed hashes of the event's subjects (never the ids): how an erasure finds it. */
  subjects: string[];
  history: HistoryEntry[];
  updatedAt: Date;
  expireAt: Date;
};
