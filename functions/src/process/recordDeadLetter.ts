import { decodeEnvelope, type EventEnvelope } from '../lib/eventEnvelope.ts';
import { decodeEventMessage, eventCountAttribute } from '../lib/eventMessages.ts';
import { mapLimit } from '../lib/mapLimit.ts';
import type { Logger } from '../lib/logger.ts';
import { deadLetterRecord } from './eventTransitions.ts';
import { decideDeadLetter } from './eventStatus.ts';
import type { EventStatusStore } from './eventStatusStore.ts';
import { publishFanOut, type FanOutDeps } from './fanOut.ts';
import { maxConflictRounds, settleConcurrency, transitionContext } from './processEvent.ts';
import { PipelineError } from '../lib/errors.ts';
import type { PushedMessage } from './pubsubMessage.ts';

export type DeadLetterDeps = FanOutDeps & {
  store: EventStatusStore;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
};

export type DeadLetterOutcome =
  | { kind: 'recorded'; eventId: string; attempts: number }
  | { kind: 'republished'; eventId: string }
  | {
      kind: 'skipped';
      eventId: string;
      reason: 'already_processed' | 'already_dead_lettered' | 'superseded_by_replay';
    };

/**
 * Marks an event DEAD_LETTER when Pub/Sub gave up on it. The attempts and the last
 * error come from the FAILED record that each attempt left. A message of many events
 * marks each of its events not yet settled; the others are left as they are.
 */
export async function recordDeadLetter(
  message: PushedMessage,
  deps: DeadLetterDeps,
): Promise<DeadLetterOutcome | { kind: 'settled'; events: number; recorded: number }> {
  const round = replayRound(message.attributes);
  if (message.attributes[eventCountAttribute] === undefined) {
    const decoded = decodeEnvelope(message.data, message.attributes);
    const envelope = decoded.ok ? decoded.envelope : undefined;
    const eventId =
      envelope?.eventId ??
      (decoded.ok ? undefined : decoded.eventId) ??
      `message-${message.messageId}`;
    return recordOne(eventId, envelope, message.data.toString('utf8'), round, deps);
  }
  const items = decodeEventMessage(message.data, message.attributes);
  const outcomes = await mapLimit(items, settleConcurrency, (item, index) =>
    item.ok
      ? recordOne(item.envelope.eventId, item.envelope, JSON.stringify(item.envelope), round, deps)
      : recordOne(
          item.eventId ?? `message-${message.messageId}-${index}`,
          undefined,
          item.text ?? message.data.toString('utf8'),
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
  const fanOut = await publishFanOut(envelope, processedAt, deps);
  if (fanOut.kind === 'failed') {
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
