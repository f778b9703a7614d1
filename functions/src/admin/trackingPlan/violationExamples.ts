import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../../infra/spec.ts';
import type { EventRecord } from '../../process/eventRecord.ts';
import { fromSnapshot } from '../../process/eventStatusStore.ts';

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
      .limit(limit)
      .get();
    return snapshot.docs.map(fromSnapshot);
  };
}
