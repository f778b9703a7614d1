import { PipelineError } from '../lib/errors.ts';
import { decodeEnvelope, type EventEnvelope } from '../lib/eventEnvelope.ts';
import type { Logger } from '../lib/logger.ts';
import { deadLetterRecord, processedRecord, type TransitionContext } from './eventTransitions.ts';
import { decideSettlement, type FanOutResult } from './eventStatus.ts';
import type { EventStatusStore } from './eventStatusStore.ts';
import { publishFanOut, type FanOutDeps } from './fanOut.ts';
import type { PushedMessage } from './pubsubMessage.ts';

export type ProcessDeps = FanOutDeps & {
  store: EventStatusStore;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
};

export type ProcessOutcome =
  | { kind: 'processed'; eventId: string }
  | { kind: 'skipped'; eventId: string; reason: 'already_processed' | 'dead_lettered' }
  | { kind: 'rejected'; eventId: string | undefined; reason: string };

// Each conflict means another delivery changed the record first; a few re-reads settle it.
export const maxConflictRounds = 5;

/**
 * Processes one delivery of an event. Returns when the delivery may be acknowledged;
 * throws a retriable error when Pub/Sub should deliver it again.
 *
 * The happy path is one round trip: the claim (a create that succeeds only if the
 * event has no record yet, written PROCESSED) and the fan-out publish go out together.
 * Every other case reads the record and settles it with `decideSettlement`; the
 * failure cases are tabled in docs/DECISIONS.md.
 */
export async function processEvent(
  message: PushedMessage,
  deps: ProcessDeps,
): Promise<ProcessOutcome> {
  const decoded = decodeEnvelope(message.data, message.attributes);
  if (!decoded.ok) return rejectInvalidMessage(message, decoded, deps);
  const { envelope } = decoded;
  const context = transitionContext(deps);

  const [claim, fanOut] = await Promise.all([
    claimProcessed(envelope, context, deps.store),
    publishFanOut(envelope, context.now, deps),
  ]);
  if (claim.kind === 'error') throw claim.error;
  if (claim.kind === 'written' && fanOut.kind === 'published') {
    return { kind: 'processed', eventId: envelope.eventId };
  }
  return settle(envelope, fanOut, context, claim.kind === 'written', deps);
}

type ClaimResult = { kind: 'written' | 'conflict' } | { kind: 'error'; error: unknown };

/** Never rejects, so the fan-out publish beside it is always awaited to its end. */
async function claimProcessed(
  envelope: EventEnvelope,
  context: TransitionContext,
  store: EventStatusStore,
): Promise<ClaimResult> {
  try {
    return { kind: await store.put(processedRecord(undefined, envelope, context), undefined) };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** The record exists already, or the fan-out failed: read, decide, write conditionally. */
async function settle(
  envelope: EventEnvelope,
  fanOut: FanOutResult,
  context: TransitionContext,
  ownClaim: boolean,
  deps: ProcessDeps,
): Promise<ProcessOutcome> {
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
    throw new PipelineError(fanOut.error.code, fanOut.error.message, { retriable: true });
  }
  throw new PipelineError('contention', `Event ${envelope.eventId} kept changing under us.`, {
    retriable: true,
  });
}

/** A message that can never be processed goes straight to DEAD_LETTER and is acknowledged. */
async function rejectInvalidMessage(
  message: PushedMessage,
  decoded: { eventId: string | undefined; reason: string },
  deps: ProcessDeps,
): Promise<ProcessOutcome> {
  const eventId = decoded.eventId ?? `message-${message.messageId}`;
  for (let round = 0; round < maxConflictRounds; round += 1) {
    const stored = await deps.store.get(eventId);
    if (stored && stored.record.status !== 'FAILED') break;
    const record = deadLetterRecord(
      eventId,
      stored?.record,
      undefined,
      {
        error: { code: 'invalid_message', message: decoded.reason },
        rawMessage: message.data.toString('utf8').slice(0, 100_000),
        countsAsAttempt: true,
      },
      transitionContext(deps),
    );
    if ((await deps.store.put(record, stored?.version)) === 'written') break;
  }
  deps.logger.warn(
    { eventId, messageId: message.messageId, reason: decoded.reason },
    'invalid message dead-lettered',
  );
  return { kind: 'rejected', eventId, reason: decoded.reason };
}

export function transitionContext(deps: { now: () => Date; ttlDays: number }): TransitionContext {
  return { now: deps.now(), ttlDays: deps.ttlDays };
}
