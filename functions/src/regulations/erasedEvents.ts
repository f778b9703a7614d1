import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';

/** Events a regulation erased (`erased_events/{eventId}`, written by the sweep): ids only. */
export class FirestoreErasedEvents {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async isErased(eventId: string): Promise<boolean> {
    if (!eventId || eventId.includes('/')) return false;
    const snapshot = await this.#firestore
      .collection(collections.erasedEvents.name)
      .doc(eventId)
      .get();
    return snapshot.exists;
  }
}
