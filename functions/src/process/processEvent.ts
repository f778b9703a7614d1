import { PipelineError } from '../lib/errors.ts';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import { decodeEventMessage } from '../lib/eventMessages.ts';
import { mapLimit } from '../lib/mapLimit.ts';
import type { Logger } from '../lib/logger.ts';
import type { Violation } from '../plan/trackingPlan.ts';
import type { PlanGate } from '../plan/planGate.ts';
import { privacyVerdicts, type PrivacyGate } from '../privacy/privacyGate.ts';
import { deadLetterRecord, quarantinedRecord, type TransitionContext } from './eventTransitions.ts';
import { checkAgainstPlan, claimRecord, countViolations, holds } from './planVerdicts.ts';
import { decideSettlement, isUnconfirmedClaim, type FanOutResult } from './eventStatus.ts';
import type { EventStatusStore } from './eventStatusStore.ts';
import { publishFanOut, type FanOutDeps } from './fanOut.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';

export type ProcessDeps = FanOutDeps & {
  store: EventStatusStore;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
  /** The tracking plan; without it every event passes (a pipeline with no plan). */
  plan?: PlanGate;
  /** Suppressed and erased subjects; without it none is. */
  privacy?: PrivacyGate;
};

export type EventOutcome =
  | { kind: 'processed'; eventId: string }
  | { kind: 'quarantined'; eventId: string }
  | {
      kind: 'skipped';
      eventId: string;
      reason: 'already_processed' | 'dead_lettered' | 'already_quarantined';
    }
  | { kind: 'rejected'; eventId: string | undefined; reason: string }
  /** Its subject is suppressed, or was erased after it was sent: kept nowhere. */
  | { kind: 'dropped'; eventId: string; reason: 'suppressed' | 'erased' };

/** A message, every one of its events settled. */
export type ProcessOutcome = {
  kind: 'settled';
  events: number;
  processed: number;
  quarantined: number;
  skipped: number;
  rejected: number;
  dropped: number;
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
  const arrived: EventEnvelope[] = [];
  const invalid: { eventId: string | undefined; reason: string; text: string; index: number }[] =
    [];
  decoded.forEach((item, index) => {
    if (!item.ok) invalid.push({ ...item, index });
    // The same id twice is the same event (a sender's message sent twice in one batch).
    else if (!seen.has(item.value.eventId)) {
      seen.add(item.value.eventId);
      arrived.push(item.value);
    }
  });
  // Events of a suppressed subject, or sent before their subject was erased, go no further.
  const privacy = await privacyVerdicts(deps.privacy, arrived);
  const envelopes = arrived.filter((_, index) => privacy[index] === undefined);
  const dropped = arrived.length - envelopes.length;
  if (dropped > 0) deps.logger.info({ dropped }, 'events of suppressed or erased subjects dropped');
  const context = transitionContext(deps);
  const verdicts = await checkAgainstPlan(envelopes, message, deps);
  const held = envelopes.map((_, index) => holds(verdicts[index]!));
  const passing = envelopes.filter((_, index) => !held[index]);
  // Earlier deliveries' violation counts go out beside this one's claims.
  const countsWritten = deps.plan?.tally.flush();
  const [claims, passingFanOuts, rejected] = await Promise.all([
    envelopes.length === 0
      ? []
      : deps.store.createAll(
          envelopes.map((envelope, index) => claimRecord(envelope, verdicts[index]!, context)),
        ),
    publishFanOut(passing, context.now, deps),
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
  const fanOutOf = new Map(passing.map((envelope, index) => [envelope, passingFanOuts[index]!]));
  countViolations(envelopes, verdicts, claims, context, deps);
  const [settled] = await Promise.all([
    mapLimit(envelopes, settleConcurrency, async (envelope, index): Promise<Settled> => {
      const claim = claims[index]!;
      if (claim.kind === 'error') return { kind: 'retry', error: claim.error };
      const verdict = verdicts[index]!;
      if (held[index] && verdict.kind === 'violations') {
        if (claim.kind === 'written') return { kind: 'quarantined', eventId: envelope.eventId };
        return settleHeld(envelope, verdict.violations, context, deps);
      }
      const fanOut = fanOutOf.get(envelope)!;
      if (claim.kind === 'written' && fanOut.kind === 'published')
        return { kind: 'processed', eventId: envelope.eventId };
      return settle(envelope, fanOut, context, claim.kind === 'written', deps);
    }),
    countsWritten,
  ]);
  const retry = [...rejected, ...settled].find((outcome) => outcome.kind === 'retry');
  if (retry?.kind === 'retry') throw retry.error;
  const count = (kind: Settled['kind']) =>
    settled.filter((outcome) => outcome.kind === kind).length;
  return {
    kind: 'settled',
    events: decoded.length,
    processed: count('processed'),
    quarantined: count('quarantined'),
    skipped: count('skipped'),
    rejected: rejected.length,
    dropped,
  };
}

/**
 * A held event whose record was already there. Held it stays held, and what was
 * processed or dead-lettered stays so; a failed or replayed event is quarantined now.
 * An unconfirmed claim (a first delivery's, whose fan-out may not have gone out) was
 * admitted by the plan then: it is finished as it began, its fan-out published again.
 */
async function settleHeld(
  envelope: EventEnvelope,
  violations: readonly Violation[],
  context: TransitionContext,
  deps: ProcessDeps,
): Promise<Settled> {
  try {
    for (let round = 0; round < maxConflictRounds; round += 1) {
      const stored = await deps.store.get(envelope.eventId);
      const status = stored?.record.status;
      if (stored && isUnconfirmedClaim(stored.record)) {
        const [fanOut] = await publishFanOut([envelope], context.now, deps);
        return settle(envelope, fanOut!, context, false, deps);
      }
      if (status === 'QUARANTINED')
        return { kind: 'skipped', eventId: envelope.eventId, reason: 'already_quarantined' };
      if (status === 'PROCESSED')
        return { kind: 'skipped', eventId: envelope.eventId, reason: 'already_processed' };
      if (status === 'DEAD_LETTER')
        return { kind: 'skipped', eventId: envelope.eventId, reason: 'dead_lettered' };
      const record = quarantinedRecord(stored?.record, envelope, violations, context);
      if ((await deps.store.put(record, stored?.version)) === 'written')
        return { kind: 'quarantined', eventId: envelope.eventId };
    }
  } catch (error) {
    return { kind: 'retry', error };
  }
  return { kind: 'retry', error: contention(envelope.eventId) };
}

/** The record kept changing under every read: Pub/Sub delivers the message again. */
function contention(eventId: string): PipelineError {
  return new PipelineError('contention', `Event ${eventId} kept changing under us.`, {
    retriable: true,
  });
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
  return { kind: 'retry', error: contention(envelope.eventId) };
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

export function transitionContext(deps: {
  now: () => Date;
  ttlDays: number;
  privacy?: Pick<PrivacyGate, 'hasher'> | undefined;
}): TransitionContext {
  const hasher = deps.privacy?.hasher;
  return {
    now: deps.now(),
    ttlDays: deps.ttlDays,
    ...(hasher ? { subjectsOf: (envelope: EventEnvelope) => hasher.ofEvent(envelope) } : {}),
  };
}
