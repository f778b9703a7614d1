import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import { decodeEventMessage } from '../lib/eventMessages.ts';
import { mapLimit } from '../lib/mapLimit.ts';
import type { Logger } from '../lib/logger.ts';
import { deadLetterRecord } from './eventTransitions.ts';
import { decideDeadLetter } from './eventStatus.ts';
import type { EventStatusStore } from './eventStatusStore.ts';
import { publishFanOut, type FanOutDeps } from './fanOut.ts';
import { maxConflictRounds, settleConcurrency, transitionContext } from './processEvent.ts';
import { PipelineError } from '../lib/errors.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import { privacyVerdicts, type PrivacyGate } from '../privacy/privacyGate.ts';

export type DeadLetterDeps = FanOutDeps & {
  store: EventStatusStore;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
  privacy?: PrivacyGate;
};

export type DeadLetterOutcome =
  | { kind: 'recorded'; eventId: string; attempts: number }
  | { kind: 'republished'; eventId: string }
  | {
      kind: 'skipped';
      eventId: string;
      reason:
        | 'already_processed'
        | 'already_dead_lettered'
        | 'already_quarantined'
        | 'superseded_by_replay'
        | 'suppressed'
        | 'erased';
    };

/**
 * Marks each event of a message DEAD_LETTER when Pub/Sub gave up on the message. The
 * attempts and the last error come from the FAILED record that each attempt left; an
 * event already settled is left as it is.
 */
export async function recordDeadLetter(
  message: PushedMessage,
  deps: DeadLetterDeps,
): Promise<{ kind: 'settled'; events: number; recorded: number }> {
  const round = replayRound(message.attributes);
  const items = decodeEventMessage(message.data, message.attributes);
  const privacy = await privacyVerdicts(
    deps.privacy,
    items.map((item) => (item.ok ? item.value : { receivedAt: '' })),
  );
  const outcomes = await mapLimit(items, settleConcurrency, async (item, index) =>
    // A subject suppressed or erased since: nothing of it is kept, not even its failure.
    item.ok && privacy[index]
      ? ({ kind: 'skipped', eventId: item.value.eventId, reason: privacy[index] } as const)
      : item.ok
        ? recordOne(item.value.eventId, item.value, JSON.stringify(item.value), round, deps)
        : recordOne(
            item.eventId ?? `message-${message.messageId}-${index}`,
            undefined,
            item.text,
            round,
            deps,
          ),
  );
  return {
    kind: 'settled',
    events: items.length,
    recorded: outcomes.filter((outcome) => outcome.kind === 'recorded').length,
  };
}

async function recordOne(
  eventId: string,
  envelope: EventEnvelope | undefined,
  rawText: string,
  messageReplay: number,
  deps: DeadLetterDeps,
): Promise<DeadLetterOutcome> {
  for (let round = 0; round < maxConflictRounds; round += 1) {
    const stored = await deps.store.get(eventId);
    const decision = decideDeadLetter(stored?.record, messageReplay);
    if (decision.kind === 'skip') return { kind: 'skipped', eventId, reason: decision.reason };
    if (decision.kind === 'republish' && stored && envelope) {
      return republishClaim(envelope, stored.record.processedAt ?? deps.now(), deps);
    }
    const record = deadLetterRecord(
      eventId,
      stored?.record,
      envelope,
      {
        error: { code: 'attempts_exhausted', message: 'Pub/Sub stopped redelivering the event.' },
        rawMessage: rawText.slice(0, 100_000),
        countsAsAttempt: false,
      },
      transitionContext(deps),
    );
    if ((await deps.store.put(record, stored?.version)) === 'written') {
      deps.logger.warn(
        { eventId, attempts: record.attempts, lastError: record.lastError?.code },
        'event dead-lettered',
      );
      return { kind: 'recorded', eventId, attempts: record.attempts };
    }
  }
  throw new PipelineError('contention', `Event ${eventId} kept changing under us.`, {
    retriable: true,
  });
}

/** The claim's fan-out may never have left: publish it again (downstream deduplicates). */
async function republishClaim(
  envelope: EventEnvelope,
  processedAt: Date,
  deps: DeadLetterDeps,
): Promise<DeadLetterOutcome> {
  const [fanOut] = await publishFanOut([envelope], processedAt, deps);
  if (fanOut?.kind === 'failed') {
    throw new PipelineError(fanOut.error.code, fanOut.error.message, { retriable: true });
  }
  deps.logger.info({ eventId: envelope.eventId }, 'unconfirmed claim published again');
  return { kind: 'republished', eventId: envelope.eventId };
}

/** The replay round a message was published in: its `replay` attribute, 0 for the original. */
export function replayRound(attributes: Record<string, string>): number {
  const round = Number(attributes.replay ?? 0);
  return Number.isInteger(round) && round >= 0 ? round : 0;
}
