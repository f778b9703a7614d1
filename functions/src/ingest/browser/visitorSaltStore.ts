import { FieldPath, Timestamp, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../../infra/spec.ts';
import type { VisitorSaltStore } from './visitorSalts.ts';

const ALREADY_EXISTS = 6;

/**
 * `visitor_salts/{YYYY-MM-DD}`: `{salt, expireAt}`, one document per UTC day. The id is
 * the day, so the days before one are a range of ids; `expireAt` carries the TTL policy.
 */
export class FirestoreVisitorSaltStore implements VisitorSaltStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async saltOf(day: string, candidate: Buffer, expireAt: Date): Promise<Buffer> {
    const doc = this.#collection().doc(day);
    const stored = saltIn((await doc.get()).data());
    if (stored) return stored;
    try {
      await doc.create({ salt: candidate, expireAt: Timestamp.fromDate(expireAt) });
      return candidate;
    } catch (error) {
      if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
    }
    // Another instance created it first: every instance takes that one.
    const winner = saltIn((await doc.get()).data());
    if (!winner) throw new Error(`the visitor salt of ${day} could not be read back`);
    return winner;
  }

  async deleteBefore(day: string): Promise<number> {
    const expired = await this.#collection().where(FieldPath.documentId(), '<', day).select().get();
    if (expired.empty) return 0;
    const batch = this.#firestore.batch();
    for (const doc of expired.docs) batch.delete(doc.ref);
    await batch.commit();
    return expired.size;
  }

  #collection() {
    return this.#firestore.collection(collections.visitorSalts.name);
  }
}

function saltIn(data: Record<string, unknown> | undefined): Buffer | undefined {
  const salt = data?.salt;
  return salt instanceof Uint8Array && salt.length > 0 ? Buffer.from(salt) : undefined;
}
