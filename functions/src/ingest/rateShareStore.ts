import { createHmac } from 'node:crypto';
import { AggregateField, Timestamp, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';

/** Where instances meet to share rate limits. */
export interface RateShareStore {
  /** Says this instance is alive until `expireAt`; answers how many instances are. */
  announce(instanceId: string, now: number, expireAt: number): Promise<number>;
  /** How many instances are alive. */
  instances(now: number): Promise<number>;
  /**
   * Records this instance's demand for a subject (requests a second) until `expireAt`;
   * answers the total demand of every instance whose record is still alive.
   */
  exchange(
    subject: string,
    instanceId: string,
    demand: number,
    expireAt: number,
    now: number,
  ): Promise<number>;
}

/**
 * Shares in Firestore: `rate_limit_instances/{instance}` and
 * `rate_limit_subjects/{subject}/shares/{instance}`, each document written by its own
 * instance at most once a second, read back by aggregate queries (one read per thousand
 * documents matched). A subject is stored as a keyed hash, never as the key id or
 * client address itself. Documents carry `expireAt`, for the TTL policy.
 */
export class FirestoreRateShareStore implements RateShareStore {
  readonly #firestore: Firestore;
  readonly #hashKey: Buffer;

  constructor(firestore: Firestore, hashKey: Buffer) {
    this.#firestore = firestore;
    this.#hashKey = hashKey;
  }

  async announce(instanceId: string, now: number, expireAt: number): Promise<number> {
    await this.#instances()
      .doc(instanceId)
      .set({ expireAt: Timestamp.fromMillis(expireAt) });
    return this.instances(now);
  }

  async instances(now: number): Promise<number> {
    const alive = await this.#instances()
      .where('expireAt', '>', Timestamp.fromMillis(now))
      .count()
      .get();
    return alive.data().count;
  }

  #instances() {
    return this.#firestore.collection(collections.rateLimitInstances.name);
  }

  async exchange(
    subject: string,
    instanceId: string,
    demand: number,
    expireAt: number,
    now: number,
  ): Promise<number> {
    const shares = this.#firestore
      .collection(collections.rateLimitSubjects.name)
      .doc(this.subjectId(subject))
      .collection(collections.rateLimitShares.name);
    await shares.doc(instanceId).set({ demand, expireAt: Timestamp.fromMillis(expireAt) });
    const total = await shares
      .where('expireAt', '>', Timestamp.fromMillis(now))
      .aggregate({ demand: AggregateField.sum('demand') })
      .get();
    return total.data().demand ?? 0;
  }

  /** The document id of a subject: a keyed hash, so no address or key id is stored. */
  subjectId(subject: string): string {
    return createHmac('sha256', this.#hashKey).update(subject).digest('base64url').slice(0, 32);
  }
}
