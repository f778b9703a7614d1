import { PipelineError } from '../lib/errors.ts';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import { decodeEventMessage } from '../lib/eventMessages.ts';
import { mapLimit } from '../lib/mapLimit.ts';
import type { Logger } from '../lib/logger.ts';
import { deadLetterRecord, processedRecord, type TransitionContext } from './eventTransitions.ts';
import { decideSettlement, type FanOutResult } from './eventStatus.ts';
import type { EventStatusStore } from './eventStatusStore.ts';
import { publishFanOut, type FanOutDeps } from './fanOut.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';

export type ProcessDeps = FanOutDeps & {
  store: EventStatusStore;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
};

export type EventOutcome =
  | { kind: 'processed'; eventId: string }
  | { kind: 'skipped'; eventId: string; reason: 'already_processed' | 'dead_lettered' }
  | { kind: 'rejected'; eventId: string | undefined; reason: string };

/** A message, every one of its events settled. */
export type ProcessOutcome = {
  kind: 'settled';
  events: number;
  processed: number;
  skipped: number;
  rejected: number;
};

/** Events of one message settled at once once the batched claim left them to settle alone. */
export const settleConcurrency = 32;

// Each conflict means another delivery changed the record first; a few re-reads settle it.
export const maxConflictRounds = 5;

/**
 * Processes one delivery of a message, each of its events settled on its own. Returns
 * when the delivery may be acknowledged; throws a retriable error when Pub/Sub should
 * deliver it again.
 *
 * The happy path is one round trip: every claim (a create that succeeds only if the
 * event has no record yet, written PROCESSED) in one batched create beside the fan-out
 * (the processed events packed, one delivery per matching endpoint). Events whose claim
 * found a record, or whose fan-out failed, are read and settled one by one with
 * `decideSettlement`; an invalid event is dead-lettered alone. If any event asks for a
 * retry the whole message is delivered again, and the events already settled are
 * skipped then. The failure cases are tabled in docs/decisions/processing.md.
 */
export async function processEvent(
  message: PushedMessage,
  deps: ProcessDeps,
): Promise<ProcessOutcome> {
  const decoded = decodeEventMessage(message.data, message.attributes);
  const seen = new Set<string>();
  const envelopes: EventEnvelope[] = [];
  const invalid: { eventId: string | undefined; reason: string; text: string; index: number }[] =
    [];
  decoded.forEach((item, index) => {
    if (!item.ok) invalid.push({ ...item, index });
    // The same id twice is the same event (a sender's message sent twice in one batch).
    else if (!seen.has(item.value.eventId)) {
      seen.add(item.value.eventId);
      envelopes.push(item.value);
    }
  });
  const context = transitionContext(deps);
  const [claims, fanOuts, rejected] = await Promise.all([
    envelopes.length === 0
      ? []
      : deps.store.createAll(
          envelopes.map((envelope) => processedRecord(undefined, envelope, context)),
        ),
    publishFanOut(envelopes, context.now, deps),
    // Never rejects, so the claims and the fan-out beside it are always awaited to their end.
    Promise.all(
      invalid.map((item) =>
        rejectInvalidEvent(
          message,
          item.eventId ?? `message-${message.messageId}-${item.index}`,
          item.reason,
          item.text,
          deps,
        ).catch((error: unknown): Settled => ({ kind: 'retry', error })),
      ),
    ),
  ]);
  const settled = await mapLimit(envelopes, settleConcurrency, async (envelope, index) => {
    const claim = claims[index]!;
    const fanOut = fanOuts[index]!;
    if (claim.kind === 'written' && fanOut.kind === 'published')
      return { kind: 'processed', eventId: envelope.eventId } as const;
    if (claim.kind === 'error') return { kind: 'retry', error: claim.error } as const;
    return settle(envelope, fanOut, context, claim.kind === 'written', deps);
  });
  const retry = [...rejected, ...settled].find((outcome) => outcome.kind === 'retry');
  if (retry?.kind === 'retry') throw retry.error;
  return {
    kind: 'settled',
    events: decoded.length,
    processed: settled.filter((outcome) => outcome.kind === 'processed').length,
    skipped: settled.filter((outcome) => outcome.kind === 'skipped').length,
    rejected: rejected.length,
  };
}

/** An event settled, or the error that asks Pub/Sub to deliver its message again. */
type Settled = EventOutcome | { kind: 'retry'; error: unknown };

/** The record exists already, or the fan-out failed: read, decide, write conditionally. */
async function settle(
  envelope: EventEnvelope,
  fanOut: FanOutResult,
  context: TransitionContext,
  ownClaim: boolean,
  deps: ProcessDeps,
): Promise<Settled> {
  try {
    for (let round = 0; round < maxConflictRounds; round += 1) {
      const stored = await deps.store.get(envelope.eventId);
      const decision = decideSettlement(stored?.record, fanOut, envelope, context, ownClaim);
      if (decision.kind === 'ack') {
        return { kind: 'skipped', eventId: envelope.eventId, reason: decision.reason };
      }
      if ((await deps.store.put(decision.record, stored?.version)) === 'conflict') continue;
      // Only a failed fan-out asks for a retry.
      if (decision.afterWrite === 'ack' || fanOut.kind === 'published') {
        return { kind: 'processed', eventId: envelope.eventId };
      }
      const { code, message } = fanOut.error;
      return { kind: 'retry', error: new PipelineError(code, message, { retriable: true }) };
    }
  } catch (error) {
    return { kind: 'retry', error };
  }
  const error = new PipelineError(
    'contention',
    `Event ${envelope.eventId} kept changing under us.`,
    {
      retriable: true,
    },
  );
  return { kind: 'retry', error };
}

/**
 * An event of a message that can never be processed goes straight to DEAD_LETTER, with
 * its text as sent, and is acknowledged with the rest of its message.
 */
async function rejectInvalidEvent(
  message: PushedMessage,
  eventId: string,
  reason: string,
  text: string,
  deps: ProcessDeps,
): Promise<EventOutcome> {
  for (let round = 0; round < maxConflictRounds; round += 1) {
    const stored = await deps.store.get(eventId);
    if (stored && stored.record.status !== 'FAILED') break;
    const record = deadLetterRecord(
      eventId,
      stored?.record,
      undefined,
      {
        error: { code: 'invalid_message', message: reason },
        rawMessage: text.slice(0, 100_000),
        countsAsAttempt: true,
      },
      transitionContext(deps),
    );
    if ((await deps.store.put(record, stored?.version)) === 'written') break;
  }
  deps.logger.warn(
    { eventId, messageId: message.messageId, reason },
    'invalid message dead-lettered',
  );
  return { kind: 'rejected', eventId, reason };
}

export function transitionContext(deps: { now: () => Date; ttlDays: number }): TransitionContext {
  return { now: deps.now(), ttlDays: deps.ttlDays };
}
