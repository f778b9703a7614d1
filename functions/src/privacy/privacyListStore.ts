import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import { timestampDate } from '../lib/documentCollection.ts';
import type { PrivacyChange, PrivacyListStore, PrivacyOp } from './privacyList.ts';

/**
 * The list in Firestore: `privacy_list/head` holds the newest change's number, and each
 * change is one document numbered after it, written in one transaction with the head
 * and with the regulation it belongs to, so a regulation lists its change once however
 * often its worker runs.
 */
export class FirestorePrivacyListStore implements PrivacyListStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async changesAfter(seq: number): Promise<{ seq: number; changes: PrivacyChange[] }> {
    const head = await this.#head().get();
    const newest = Number(head.get('seq') ?? 0);
    if (newest <= seq) return { seq: newest, changes: [] };
    const snapshot = await this.#firestore
      .collection(collections.privacyListChanges.name)
      .where('seq', '>', seq)
      .orderBy('seq')
      .get();
    return { seq: newest, changes: snapshot.docs.map((doc) => changeOf(doc.data())) };
  }

  async append(change: Omit<PrivacyChange, 'seq'>): Promise<number> {
    return this.#firestore.runTransaction(async (transaction) => {
      const head = await transaction.get(this.#head());
      const seq = Number(head.get('seq') ?? 0) + 1;
      transaction.set(this.#head(), { seq });
      transaction.create(this.#change(seq), changeDocument({ ...change, seq }));
      return seq;
    });
  }

  /**
   * The changes of a regulation, once: if its document says it was listed, nothing is
   * written again. Marks it RUNNING and listed in the same transaction.
   */
  async appendForRegulation(
    regulationId: string,
    ops: readonly PrivacyOp[],
    fields: { hashes: string[]; at: Date; until: Date },
    now: Date,
  ): Promise<Date> {
    const regulation = this.#firestore.collection(collections.regulations.name).doc(regulationId);
    return this.#firestore.runTransaction(async (transaction) => {
      const [current, head] = await Promise.all([
        transaction.get(regulation),
        transaction.get(this.#head()),
      ]);
      const listedAt = timestampDate(current.get('listedAt'));
      if (listedAt) return listedAt;
      let seq = Number(head.get('seq') ?? 0);
      for (const op of ops) {
        seq += 1;
        transaction.create(
          this.#change(seq),
          changeDocument({
            seq,
            regulationId,
            op,
            hashes: fields.hashes,
            at: fields.at,
            until: op === 'erase' ? fields.until : null,
          }),
        );
      }
      transaction.set(this.#head(), { seq });
      transaction.update(regulation, { listedAt: now, status: 'RUNNING', updatedAt: now });
      return now;
    });
  }

  #head() {
    return this.#firestore.collection(collections.privacyList.name).doc('head');
  }

  #change(seq: number) {
    return this.#firestore
      .collection(collections.privacyListChanges.name)
      .doc(String(seq).padStart(12, '0'));
  }
}

function changeDocument(change: PrivacyChange): Record<string, unknown> {
  // Erasure tombstones go when no queue can hold the subject's events any longer;
  // suppressions stay until lifted.
  return { ...change, expireAt: change.until };
}

function changeOf(data: Record<string, unknown>): PrivacyChange {
  return {
    seq: Number(data.seq),
    regulationId: String(data.regulationId),
    op: data.op as PrivacyOp,
    hashes: Array.isArray(data.hashes) ? (data.hashes as string[]) : [],
    at: timestampDate(data.at) ?? new Date(0),
    until: timestampDate(data.until),
  };
}
