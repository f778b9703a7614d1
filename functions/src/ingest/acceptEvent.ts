import { randomUUID } from 'node:crypto';
import { topics } from '../../../infra/spec.ts';
import { describe } from '../lib/errors.ts';
import { encodeEnvelope } from '../lib/eventEnvelope.ts';
import { publishAll, type Publisher } from '../lib/publisher.ts';
import { canonicalJson, toEnvelope, type EventInput } from './eventInput.ts';
import { fingerprint, scopedIdempotencyKey, type IdempotencyStore } from './idempotency.ts';

export type AcceptDeps = {
  publisher: Publisher;
  idempotency: IdempotencyStore;
  now: () => Date;
  newEventId?: () => string;
  idempotencyTtlHours: number;
};

export type AcceptOutcome =
  /** Published now: answer 202. */
  | { kind: 'accepted'; eventId: string; receivedAt: string }
  /** The key was used before with the same event: answer 200 with the original id. */
  | { kind: 'duplicate'; eventId: string; receivedAt: string }
  /** The key was used before with a different event: answer 409. */
  | { kind: 'conflict'; eventId: string }
  /** Pub/Sub or Firestore did not answer: 503; retrying with the same key is safe. */
  | { kind: 'unavailable'; reason: string };

/**
 * Takes one validated event into the pipeline. Without an idempotency key this is one
 * publish and nothing else. With a key, the key is claimed first (one Firestore write);
 * a repeat with the same event publishes the same event id again, which the processor
 * deduplicates, so an event whose first publish failed or timed out is never lost.
 */
export function acceptEvent(
  input: EventInput,
  producer: { keyId: string; source: string },
  idempotencyKey: string | undefined,
  deps: AcceptDeps,
): Promise<AcceptOutcome> {
  const receivedAt = deps.now().toISOString();
  const eventId = (deps.newEventId ?? randomUUID)();
  if (idempotencyKey === undefined)
    return publish(input, producer, { eventId, receivedAt }, false, deps);
  return acceptWithIdempotencyKey(input, producer, idempotencyKey, { eventId, receivedAt }, deps);
}

async function acceptWithIdempotencyKey(
  input: EventInput,
  producer: { keyId: string; source: string },
  idempotencyKey: string,
  identity: { eventId: string; receivedAt: string },
  deps: AcceptDeps,
): Promise<AcceptOutcome> {
  const bodyHash = fingerprint(canonicalJson(input));
  const expireAt = new Date(deps.now().getTime() + deps.idempotencyTtlHours * 3_600_000);
  let claim;
  try {
    claim = await deps.idempotency.claim(scopedIdempotencyKey(producer.keyId, idempotencyKey), {
      ...identity,
      bodyHash,
      expireAt,
    });
  } catch (error) {
    return { kind: 'unavailable', reason: `idempotency store: ${describe(error)}` };
  }
  if (claim.kind === 'claimed')
    return publish(input, producer, { ...identity, idempotencyKey }, false, deps);
  if (claim.record.bodyHash !== bodyHash)
    return { kind: 'conflict', eventId: claim.record.eventId };
  const original = {
    eventId: claim.record.eventId,
    receivedAt: claim.record.receivedAt,
    idempotencyKey,
  };
  return publish(input, producer, original, true, deps);
}

/**
 * Many events without idempotency keys (a batch request's): one publish call for all
 * and one outcome per event, in order. Each event stands alone: one that Pub/Sub did
 * not acknowledge is `unavailable` while the others are accepted. An event given its
 * id in `eventIds` (derived from the sender's own message id) keeps it, so sending it
 * again is the same event, which the processor takes once.
 */
export async function acceptEvents(
  inputs: EventInput[],
  producer: { keyId: string; source: string },
  deps: AcceptDeps,
  eventIds?: readonly (string | undefined)[],
): Promise<AcceptOutcome[]> {
  const receivedAt = deps.now().toISOString();
  const newEventId = deps.newEventId ?? randomUUID;
  const identities = inputs.map((_, index) => ({
    eventId: eventIds?.[index] ?? newEventId(),
    receivedAt,
  }));
  const messages = inputs.map((input, index) =>
    encodeEnvelope(
      toEnvelope(input, {
        ...identities[index]!,
        producer: producer.keyId,
        source: producer.source,
      }),
    ),
  );
  const settlements = await publishAll(deps.publisher, topics.events.name, messages);
  return settlements.map((settlement, index) =>
    settlement.ok
      ? { kind: 'accepted', ...identities[index]! }
      : { kind: 'unavailable', reason: describe(settlement.error) },
  );
}

async function publish(
  input: EventInput,
  producer: { keyId: string; source: string },
  identity: { eventId: string; receivedAt: string; idempotencyKey?: string },
  duplicate: boolean,
  deps: AcceptDeps,
): Promise<AcceptOutcome> {
  const envelope = toEnvelope(input, {
    ...identity,
    producer: producer.keyId,
    source: producer.source,
  });
  try {
    await deps.publisher.publish(topics.events.name, encodeEnvelope(envelope));
  } catch (error) {
    return { kind: 'unavailable', reason: describe(error) };
  }
  return {
    kind: duplicate ? 'duplicate' : 'accepted',
    eventId: identity.eventId,
    receivedAt: identity.receivedAt,
  };
}
