import { randomUUID } from 'node:crypto';
import { describe } from '../lib/errors.ts';
import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import type { MessageLimits } from '../lib/eventMessages.ts';
import type { EventQueue } from '../lib/groupCommit.ts';
import { PlanChecker } from '../plan/planChecker.ts';
import type { PlanGate } from '../plan/planGate.ts';
import type { Violation } from '../plan/trackingPlan.ts';
import { countSuppressed, privacyVerdicts, type PrivacyGate } from '../privacy/privacyGate.ts';
import { canonicalJson, toEnvelope, type EventInput } from './eventInput.ts';
import { fingerprint, scopedIdempotencyKey, type IdempotencyStore } from './idempotency.ts';

export type AcceptDeps = {
  /** Where accepted events are published, sharing messages with the events beside them. */
  eventQueue: EventQueue;
  idempotency: IdempotencyStore;
  now: () => Date;
  newEventId?: () => string;
  idempotencyTtlHours: number;
  /** How many events, and bytes, one message of many events holds at most. */
  messageLimits: MessageLimits;
  /** The tracking plan held by this instance, for `block`; processing checks every event anyway. */
  plan?: Pick<PlanGate, 'cache' | 'checker'>;
  /** The suppression list held by this instance; without it nothing is suppressed. */
  privacy?: PrivacyGate;
};

export type AcceptOutcome =
  /** Published now: answer 202. */
  | { kind: 'accepted'; eventId: string; receivedAt: string }
  /** The key was used before with the same event: answer 200 with the original id. */
  | { kind: 'duplicate'; eventId: string; receivedAt: string }
  /** The key was used before with a different event: answer 409. */
  | { kind: 'conflict'; eventId: string }
  /** Pub/Sub or Firestore did not answer: 503; retrying with the same key is safe. */
  | { kind: 'unavailable'; reason: string }
  /** The tracking plan blocks the event: 400 naming every violation; nothing was kept. */
  | { kind: 'blocked'; violations: Violation[] };

/**
 * Takes one validated event into the pipeline: `acceptMany` of one. Without an
 * idempotency key this is one publish, shared with whatever else this instance is
 * publishing at the moment. With a key, the key is claimed first (one Firestore write);
 * a repeat with the same event publishes the same event id again, which the processor
 * deduplicates, so an event whose first publish failed or timed out is never lost.
 */
export async function acceptEvent(
  input: EventInput,
  producer: { keyId: string; source: string },
  idempotencyKey: string | undefined,
  deps: AcceptDeps,
): Promise<AcceptOutcome> {
  const [outcome] = await acceptMany([{ input, idempotencyKey }], producer, deps);
  return outcome!;
}

/** One event of a call that brings many, with its own idempotency key or sender's id. */
export type AcceptItem = {
  input: EventInput;
  idempotencyKey?: string | undefined;
  /** An id derived from the sender's own message id: sending it again is the same event. */
  eventId?: string | undefined;
};

/**
 * Many events of one call, one outcome per event, in order. Under a plan that blocks,
 * an event it refuses is answered `blocked` before anything is claimed or published. Keys are claimed first,
 * all at once; then every event to publish (new ones, and repeats of a key with the
 * same event under their original id) joins the event queue, which packs it with the
 * events beside it into as few messages as the limits allow. An event whose message
 * Pub/Sub did not acknowledge is `unavailable` while the others are accepted; with its
 * key or id, sending it again is safe.
 */
export async function acceptMany(
  items: readonly AcceptItem[],
  producer: { keyId: string; source: string },
  deps: AcceptDeps,
): Promise<AcceptOutcome[]> {
  const receivedAt = deps.now().toISOString();
  const newEventId = deps.newEventId ?? randomUUID;
  const plan = deps.plan?.cache.held();
  const blocking = plan && PlanChecker.blocks(plan) ? plan : undefined;
  if (blocking) await deps.plan!.checker.ready(blocking);
  let verdicts;
  try {
    verdicts = await privacyVerdicts(
      deps.privacy,
      items.map((item) => ({ ...item.input, receivedAt })),
    );
  } catch (error) {
    // Never read yet: nothing may pass that the list might refuse.
    const reason = `suppression list: ${describe(error)}`;
    return items.map(() => ({ kind: 'unavailable', reason }));
  }
  countSuppressed(deps.privacy, verdicts, new Date(receivedAt));
  const admit = async (item: AcceptItem, index: number): Promise<AcceptOutcome | ToPublish> => {
    // Answered as accepted, so SDKs do not retry, and kept nowhere.
    if (verdicts[index] === 'suppressed')
      return { kind: 'accepted', eventId: item.eventId ?? newEventId(), receivedAt };
    if (blocking) {
      const verdict = deps.plan!.checker.check(blocking, item.input);
      if (verdict.kind === 'violations' && verdict.enforcement === 'block')
        return { kind: 'blocked', violations: verdict.violations };
    }
    const identity = { eventId: item.eventId ?? newEventId(), receivedAt };
    if (item.idempotencyKey === undefined) return toPublish(item, identity, false, producer);
    const admitted = await admitKey(item.input, producer, item.idempotencyKey, identity, deps);
    if (admitted.kind === 'settled') return admitted.outcome;
    return toPublish(item, admitted.identity, admitted.kind === 'repeat', producer);
  };
  const admissions = await Promise.all(items.map(admit));
  const publishing = admissions.filter((admission) => admission.kind === 'publish');
  const settlements = await deps.eventQueue.enqueue(publishing.map((entry) => entry.envelope));
  const settlementOf = new Map(
    publishing.map((entry, position) => [entry, settlements[position]!]),
  );
  return admissions.map((admission): AcceptOutcome => {
    if (admission.kind !== 'publish') return admission;
    const settlement = settlementOf.get(admission)!;
    return settlement.ok
      ? {
          kind: admission.duplicate ? 'duplicate' : 'accepted',
          eventId: admission.envelope.eventId,
          receivedAt: admission.envelope.receivedAt,
        }
      : { kind: 'unavailable', reason: describe(settlement.error) };
  });
}

function toPublish(
  item: AcceptItem,
  identity: { eventId: string; receivedAt: string },
  duplicate: boolean,
  producer: { keyId: string; source: string },
): ToPublish {
  const envelope = toEnvelope(item.input, {
    ...identity,
    producer: producer.keyId,
    source: producer.source,
    idempotencyKey: item.idempotencyKey,
  });
  return { kind: 'publish', envelope, duplicate };
}

/** An admitted event, ready to publish: new, or a repeat of its key with the same event. */
type ToPublish = { kind: 'publish'; envelope: EventEnvelope; duplicate: boolean };

/**
 * Many events without idempotency keys (the tracking API's): `acceptMany` with each
 * event's id, when the sender's message id gives one.
 */
export function acceptEvents(
  inputs: EventInput[],
  producer: { keyId: string; source: string },
  deps: AcceptDeps,
  eventIds?: readonly (string | undefined)[],
): Promise<AcceptOutcome[]> {
  return acceptMany(
    inputs.map((input, index) => ({ input, eventId: eventIds?.[index] })),
    producer,
    deps,
  );
}

type Admission =
  | { kind: 'new' | 'repeat'; identity: { eventId: string; receivedAt: string } }
  | { kind: 'settled'; outcome: AcceptOutcome };

/** An idempotency key's claim: a new event, a repeat to publish again, or settled here. */
async function admitKey(
  input: EventInput,
  producer: { keyId: string },
  idempotencyKey: string,
  identity: { eventId: string; receivedAt: string },
  deps: AcceptDeps,
): Promise<Admission> {
  const bodyHash = fingerprint(canonicalJson(input));
  const expireAt = new Date(deps.now().getTime() + deps.idempotencyTtlHours * 3_600_000);
  let claim;
  try {
    claim = await deps.idempotency.claim(scopedIdempotencyKey(producer.keyId, idempotencyKey), {
      ...identity,
      bodyHash,
      expireAt,
      // Keyed hashes of the event's subjects: how an erasure finds the record.
      subjects: deps.privacy?.hasher.ofEvent(input) ?? [],
    });
  } catch (error) {
    return {
      kind: 'settled',
      outcome: { kind: 'unavailable', reason: `idempotency store: ${describe(error)}` },
    };
  }
  if (claim.kind === 'claimed') return { kind: 'new', identity };
  if (claim.record.bodyHash !== bodyHash)
    return { kind: 'settled', outcome: { kind: 'conflict', eventId: claim.record.eventId } };
  return {
    kind: 'repeat',
    identity: { eventId: claim.record.eventId, receivedAt: claim.record.receivedAt },
  };
}
