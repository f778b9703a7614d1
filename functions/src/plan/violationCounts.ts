import { FieldValue, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';

/** Events that broke the plan on one UTC day, by type: counts only, never an event. */
export interface ViolationCounts {
  /** Adds one delivery's first-time violations. */
  add(day: string, byType: ReadonlyMap<string, number>): Promise<void>;
  read(day: string): Promise<Map<string, number>>;
}

/**
 * A day's counts spread over `shards` documents (`{day}_{shard}`), each written with
 * increments by whichever delivery picks it: no one document takes every write of a
 * busy day, and a day is read with one query.
 */
export class FirestoreViolationCounts implements ViolationCounts {
  readonly #firestore: Firestore;
  readonly #shards: number;
  readonly #collectionName: string;

  /** Another collection keeps other daily counts the same way (suppressed events). */
  constructor(
    firestore: Firestore,
    shards = 10,
    collectionName: string = collections.trackingViolationCounts.name,
  ) {
    this.#firestore = firestore;
    this.#shards = shards;
    this.#collectionName = collectionName;
  }

  async add(day: string, byType: ReadonlyMap<string, number>): Promise<void> {
    if (byType.size === 0) return;
    const shard = Math.floor(Math.random() * this.#shards);
    // A map literal in a merge keeps dotted type names as keys, not as paths.
    const counts = Object.fromEntries(
      [...byType].map(([type, count]) => [type, FieldValue.increment(count)]),
    );
    await this.#collection().doc(`${day}_${shard}`).set({ day, counts }, { merge: true });
  }

  async read(day: string): Promise<Map<string, number>> {
    const snapshot = await this.#collection().where('day', '==', day).get();
    const totals = new Map<string, number>();
    for (const doc of snapshot.docs) {
      const counts = (doc.data().counts ?? {}) as Record<string, unknown>;
      for (const [type, count] of Object.entries(counts))
        totals.set(type, (totals.get(type) ?? 0) + Number(count));
    }
    return totals;
  }

  #collection() {
    return this.#firestore.collection(this.#collectionName);
  }
}
