import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../../infra/spec.ts';
import type { EventRecord } from '../../process/eventRecord.ts';
import { fromSnapshot } from '../../process/eventStatusStore.ts';

/** Events read per example shown, so that events since let through rarely crowd the examples out. */
const examplesReadPerShown = 4;

/** Some events of a type that broke the plan on a day, with their violations. */
export type ViolationExamples = (
  day: string,
  eventType: string,
  limit: number,
) => Promise<EventRecord[]>;

/**
 * Read from the events themselves: `violationDay` (the day an event first broke the
 * plan) and `eventType` are equality filters that single-field indexes serve.
 */
export function firestoreViolationExamples(firestore: Firestore): ViolationExamples {
  return async (day, eventType, limit) => {
    const snapshot = await firestore
      .collection(collections.events.name)
      .where('violationDay', '==', day)
      .where('eventType', '==', eventType)
      .limit(limit * examplesReadPerShown)
      .get();
    // A replayed event that passed keeps its day but no longer its violations.
    const records = snapshot.docs.map(fromSnapshot);
    const current = records.filter((record) => record.violations.length > 0);
    return (current.length > 0 ? current : records).slice(0, limit);
  };
}
