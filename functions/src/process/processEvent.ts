import { topics } from '../../../infra/spec.ts';
import { describe, PipelineError } from '../lib/errors.ts';
import { decodeEnvelope, encodeProcessedEvent, type EventEnvelope } from '../lib/eventEnvelope.ts';
import type { Logger } from '../lib/logger.ts';
import type { Publisher } from '../lib/publisher.ts';
import { encodeDeliveryMessage } from '../webhooks/deliveryMessage.ts';
import type { WebhookRouter } from '../webhooks/endpointIndex.ts';
import {
  deadLetterRecord,
  decideProcessing,
  failedRecord,
  processedRecord,
  type TransitionContext,
} from './eventStatus.ts';
import type { EventStatusStore } from './eventStatusStore.ts';
import type { PushedMessage } from './pubsubMessage.ts';

export type ProcessDeps = {
  store: EventStatusStore;
  publisher: Publisher;
  now: () => Date;
  ttlDays: number;
  logger: Logger;
  /** Which webhook endpoints want an event type (cached: no read per event). */
  webhooks: WebhookRouter;
};

export type ProcessOutcome =
  | { kind: 'processed'; eventId: string }
  | { kind: 'skipped'; eventId: string; reason: 'already_processed' | 'dead_lettered' }
  | { kind: 'rejected'; eventId: string | undefined; reason: string };

// Each conflict means another delivery changed the record first; a few re-reads settle it.
export const maxConflictRounds = 5;

/**
 * Processes one delivery of an event. Returns when the delivery may be acknowledged;
 * throws a retriable PipelineError when Pub/Sub should deliver it again.
 */
export async function processEvent(
  message: PushedMessage,
  deps: ProcessDeps,
): Promise<ProcessOutcome> {
  const decoded = decodeEnvelope(message.data, message.attributes);
  if (!decoded.ok) return rejectInvalidMessage(message, decoded, deps);
  const { envelope } = decoded;

  for (let round = 0; round < maxConflictRounds; round += 1) {
    const stored = await deps.store.get(envelope.eventId);
    const decision = decideProcessing(stored?.record);
    if (decision.kind === 'skip') {
      return { kind: 'skipped', eventId: envelope.eventId, reason: decision.reason };
    }
    const context = transitionContext(deps);
    const failure = await publishProcessed(envelope, context.now, deps);
    if (failure) {
      const failed = failedRecord(stored?.record, envelope, failure, context);
      if ((await deps.store.put(failed, stored?.version)) === 'conflict') continue;
      throw new PipelineError(failure.code, failure.message, { retriable: true });
    }
    const processed = processedRecord(stored?.record, envelope, context);
    if ((await deps.store.put(processed, stored?.version)) === 'written') {
      return { kind: 'processed', eventId: envelope.eventId };
    }
  }
  throw new PipelineError('contention', `Event ${envelope.eventId} kept changing under us.`, {
    retriable: true,
  });
}

/**
 * Publishes the processed event, and one delivery per matching webhook endpoint, before
 * the PROCESSED write: a redelivery of an event already PROCESSED is skipped before it
 * gets here, so it never fans out twice.
 */
async function publishProcessed(
  envelope: EventEnvelope,
  processedAt: Date,
  deps: ProcessDeps,
): Promise<{ code: string; message: string } | undefined> {
  let endpointIds: string[];
  try {
    endpointIds = await deps.webhooks.matching(envelope.eventType, envelope.producer);
  } catch (error) {
    return { code: 'webhook_lookup_failed', message: describe(error) };
  }
  try {
    const event = { ...envelope, processedAt: processedAt.toISOString() };
    await Promise.all([
      deps.publisher.publish(topics.eventsProcessed.name, encodeProcessedEvent(event)),
      ...endpointIds.map((endpointId) =>
        deps.publisher.publish(
          topics.deliveries.name,
          encodeDeliveryMessage({ endpointId, event }),
        ),
      ),
    ]);
    return undefined;
  } catch (error) {
    return { code: 'publish_failed', message: describe(error) };
  }
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
