import {
  Timestamp,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
} from '@google-cloud/firestore';

/** How one kind of record is written to and read from its Firestore documents. */
export type DocumentCodec<T extends { id: string }> = {
  toDocument: (record: T) => Record<string, unknown>;
  fromSnapshot: (snapshot: DocumentSnapshot) => T;
};

/**
 * The create, read, list, transactional update and delete that every configuration
 * record (webhook endpoints, Workspace sources) needs, one document per record keyed by
 * its id. The stores keep only what is their own.
 */
export class DocumentCollection<T extends { id: string }> {
  readonly #firestore: Firestore;
  readonly #name: string;
  readonly #codec: DocumentCodec<T>;

  constructor(firestore: Firestore, name: string, codec: DocumentCodec<T>) {
    this.#firestore = firestore;
    this.#name = name;
    this.#codec = codec;
  }

  collection(): CollectionReference {
    return this.#firestore.collection(this.#name);
  }

  doc(id: string): DocumentReference {
    return this.collection().doc(id);
  }

  /** Fails with ALREADY_EXISTS when the id is taken. */
  async create(record: T): Promise<void> {
    await this.doc(record.id).create(this.#codec.toDocument(record));
  }

  async get(id: string): Promise<T | undefined> {
    const snapshot = await this.doc(id).get();
    return snapshot.exists ? this.#codec.fromSnapshot(snapshot) : undefined;
  }

  /** Oldest first. */
  async list(): Promise<T[]> {
    const snapshot = await this.collection().orderBy('createdAt').get();
    return snapshot.docs.map((doc) => this.#codec.fromSnapshot(doc));
  }

  /** Reads, changes and writes the record in one transaction; undefined if it does not exist. */
  update(id: string, change: (current: T) => T): Promise<T | undefined> {
    const doc = this.doc(id);
    return this.#firestore.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(doc);
      if (!snapshot.exists) return undefined;
      const next = change(this.#codec.fromSnapshot(snapshot));
      transaction.set(doc, this.#codec.toDocument(next));
      return next;
    });
  }

  /** The record as it was when deleted, or undefined if there was none. */
  delete(id: string): Promise<T | undefined> {
    const doc = this.doc(id);
    return this.#firestore.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(doc);
      if (!snapshot.exists) return undefined;
      transaction.delete(doc);
      return this.#codec.fromSnapshot(snapshot);
    });
  }
}

/** A Firestore timestamp field as a date; null when absent. */
export function timestampDate(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : null;
}
