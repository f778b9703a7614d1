import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import type { EventRecord } from './eventRecord.ts';
import { failedRecord, processedRecord, type TransitionContext } from './eventTransitions.ts';

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
 *   (none|FAILED|QUEUED) ──breaks the tracking plan (quarantine)──▶ QUARANTINED
 *   QUARANTINED ──replay that passes the current plan──▶ QUEUED ──▶ …
 *
 * A replay resets `attempts` (Pub/Sub counts the republished message afresh) and
 * counts itself in `replays`; `history` keeps every transition after the first attempt.
 */
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
      reason:
        | 'already_processed'
        | 'already_dead_lettered'
        | 'already_quarantined'
        | 'superseded_by_replay';
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
  // The plan held it back: it waits for a replay, not for the dead-letter queue.
  if (current?.status === 'QUARANTINED') return { kind: 'skip', reason: 'already_quarantined' };
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
