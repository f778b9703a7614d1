import { describe, PipelineError } from '../lib/errors.ts';
import type { HeldPrivacyList, SubjectVerdict } from './privacyList.ts';
import type { EventSubjectFields, SubjectHasher } from './subjects.ts';

/** The count kept per day (a number, never a subject) of events dropped as suppressed. */
export const suppressedCountKey = 'suppressed';

/**
 * What every function that meets events holds of the privacy list: the hasher, the
 * list (no read per event), and the day's tally of suppressed events.
 */
export type PrivacyGate = {
  hasher: SubjectHasher;
  list: HeldPrivacyList;
  /** The days' counts, sharded (the tracking plan's daily counts, in a collection of their own). */
  counts: DailyCounts;
  /** This instance's counts not yet written, flushed beside later writes. */
  tally: { add(day: string, byKey: ReadonlyMap<string, number>): void; flush(): Promise<void> };
  clock?: () => number;
};

export interface DailyCounts {
  add(day: string, byKey: ReadonlyMap<string, number>): Promise<void>;
  read(day: string): Promise<Map<string, number>>;
}

type CheckedEvent = EventSubjectFields & { receivedAt: Date | string };

/** One verdict per event; no hashing at all while the list is empty. */
export async function privacyVerdicts(
  gate: PrivacyGate | undefined,
  events: readonly CheckedEvent[],
): Promise<SubjectVerdict[]> {
  if (!gate || events.length === 0) return events.map(() => undefined);
  return events.map(await privacyCheck(gate));
}

/** The list as held now, as a check of one event at a time. */
export async function privacyCheck(
  gate: PrivacyGate | undefined,
): Promise<(event: CheckedEvent) => SubjectVerdict> {
  if (!gate) return () => undefined;
  let state;
  try {
    state = await gate.list.current();
  } catch (error) {
    // Only an instance that never read the list gets here: a later delivery will.
    throw new PipelineError(
      'privacy_list_unavailable',
      `The suppression list could not be read: ${describe(error)}`,
      { retriable: true, cause: error },
    );
  }
  if (state.empty) return () => undefined;
  const now = (gate.clock ?? Date.now)();
  return (event) => state.verdict(gate.hasher.ofEvent(event), event.receivedAt, now);
}

/** Counts the suppressed among `verdicts` for today, flushed later beside other writes. */
export function countSuppressed(
  gate: PrivacyGate | undefined,
  verdicts: readonly SubjectVerdict[],
  now: Date,
): void {
  const suppressed = verdicts.filter((verdict) => verdict === 'suppressed').length;
  if (!gate || suppressed === 0) return;
  gate.tally.add(now.toISOString().slice(0, 10), new Map([[suppressedCountKey, suppressed]]));
}
