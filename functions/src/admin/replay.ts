import { describe } from '../lib/errors.ts';
import { parseEnvelope } from '../lib/eventEnvelope.ts';
import type { EventQueue } from '../lib/groupCommit.ts';
import { queuedRecord } from '../process/eventTransitions.ts';
import { decideReplay } from '../process/eventStatus.ts';
import type { EventStatusStore } from '../process/eventStatusStore.ts';
import { maxConflictRounds } from '../process/processEvent.ts';

export type ReplayDeps = {
  events: EventStatusStore;
  /** Replays join the messages of other events of the same replay round. */
  eventQueue: EventQueue;
  now: () => Date;
  ttlDays: number;
  /** A QUEUED event older than this is taken as stuck and may be replayed again. */
  staleQueuedMs: number;
  /** Events a privacy regulation erased: a replay of one answers that it is gone. */
  erasedEvents?: { isErased(eventId: string): Promise<boolean> };
};

export type ReplayOutcome =
  | { kind: 'replayed'; eventId: string; replay: number }
  | { kind: 'not_found'; eventId: string }
  | { kind: 'erased'; eventId: string }
  | {
      kind: 'refused';
      eventId: string;
      reason: 'processed' | 'queued' | 'no_envelope' | 'not_replayable';
    }
  | { kind: 'unavailable'; eventId: string; reason: string };

/**
 * Puts a failed or dead-lettered event back into the pipeline: QUEUED first, with a
 * write conditioned on the state it was decided on (so two operators cannot replay one
 * event twice at once), then the stored envelope is published to `events` in a message
 * whose `replay` attribute names the round. If the publish fails the status is put back.
 */
export async function replayEvent(eventId: string, deps: ReplayDeps): Promise<ReplayOutcome> {
  for (let round = 0; round < maxConflictRounds; round += 1) {
    const stored = await deps.events.get(eventId);
    if (!stored)
      return (await deps.erasedEvents?.isErased(eventId))
        ? { kind: 'erased', eventId }
        : { kind: 'not_found', eventId };
    const context = { now: deps.now(), ttlDays: deps.ttlDays };
    const decision = decideReplay(stored.record, context.now, deps.staleQueuedMs);
    if (decision.kind === 'refuse') return { kind: 'refused', eventId, reason: decision.reason };
    const envelope = parseEnvelope(stored.record.envelope ?? '');
    // A message that never parsed as an event would only be dead-lettered again.
    if (!envelope) return { kind: 'refused', eventId, reason: 'not_replayable' };

    const queued = queuedRecord(stored.record, context);
    if ((await deps.events.put(queued, stored.version)) === 'conflict') continue;
    const [published] = await deps.eventQueue.enqueue([envelope], {
      replay: String(queued.replays),
    });
    if (!published?.ok) {
      await restore(eventId, queued.replays, stored.record, deps);
      return { kind: 'unavailable', eventId, reason: describe(published?.error) };
    }
    return { kind: 'replayed', eventId, replay: queued.replays };
  }
  return { kind: 'unavailable', eventId, reason: 'the event kept changing; try again' };
}

/** Best effort: a record left QUEUED becomes replayable again after the stale window. */
export async function restore(
  eventId: string,
  replay: number,
  previous: Parameters<typeof queuedRecord>[0],
  deps: Pick<ReplayDeps, 'events' | 'now'>,
): Promise<void> {
  try {
    const current = await deps.events.get(eventId);
    if (current?.record.status !== 'QUEUED' || current.record.replays !== replay) return;
    await deps.events.put({ ...previous, updatedAt: deps.now() }, current.version);
  } catch {
    // The stale window covers it.
  }
}
