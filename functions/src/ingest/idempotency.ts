import { createHash } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';

export type IdempotencyRecord = {
  eventId: string;
  /** Fingerprint of the event the key was first used with. */
  bodyHash: string;
  receivedAt: string;
  expireAt: Date;
  /** Keyed hashes of the event's subjects (see `SubjectHasher`), for erasure. */
  subjects?: string[];
};

export type ClaimResult = { kind: 'claimed' } | { kind: 'exists'; record: IdempotencyRecord };

/** Remembers which event an idempotency key produced. One write per new key. */
export interface IdempotencyStore {
  claim(scopedKey: string, record: IdempotencyRecord): Promise<ClaimResult>;
}

/** Keys are per producer: two producers may use the same key without colliding. */
export function scopedIdempotencyKey(producer: string, key: string): string {
  return createHash('sha256').update(producer).update('\n').update(key).digest('hex');
}

export function fingerprint(canonicalBody: string): string {
  return createHash('sha256').update(canonicalBody).digest('hex');
}

const ALREADY_EXISTS = 6;

export class FirestoreIdempotencyStore implements IdempotencyStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async claim(scopedKey: string, record: IdempotencyRecord): Promise<ClaimResult> {
    const doc = this.#firestore.collection(collections.idempotencyKeys.name).doc(scopedKey);
    try {
      await doc.create(record);
      return { kind: 'claimed' };
    } catch (error) {
      if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
    }
    const data = (await doc.get()).data();
    if (!data) return this.claim(scopedKey, record); // expired between create and read
    return {
      kind: 'exists',
      record: {
        eventId: String(data.eventId),
        bodyHash: String(data.bodyHash),
        receivedAt: String(data.receivedAt),
        expireAt: data.expireAt instanceof Timestamp ? data.expireAt.toDate() : new Date(0),
      },
    };
  }
}
