import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import { timestampDate } from '../lib/documentCollection.ts';
import type { Receipt, Regulation, RegulationStatus } from './regulation.ts';

/** Subjects per document of `regulations/{id}/subjects`: 1,000 ids of 200 characters fit. */
const subjectsPerDocument = 1_000;

export interface RegulationStore {
  /** Files a regulation with its subjects; the subjects stay only while it runs. */
  create(regulation: Regulation, subjects: readonly string[]): Promise<void>;
  get(regulationId: string): Promise<Regulation | undefined>;
  recent(limit: number): Promise<Regulation[]>;
  subjects(regulationId: string): Promise<string[]>;
  /** Counts an attempt of its worker; returns the count. */
  countAttempt(regulationId: string, now: Date): Promise<number>;
  /** Writes the receipts and the end, and forgets the subjects. */
  finish(
    regulationId: string,
    status: RegulationStatus,
    receipts: readonly Receipt[],
    now: Date,
  ): Promise<void>;
  /** Marks a regulation its worker never finished as FAILED, and forgets its subjects; a finished one is left alone. */
  fail(regulationId: string, error: string, now: Date): Promise<boolean>;
}

export class FirestoreRegulationStore implements RegulationStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async create(regulation: Regulation, subjects: readonly string[]): Promise<void> {
    const batch = this.#firestore.batch();
    batch.create(this.#doc(regulation.regulationId), toDocument(regulation));
    for (let start = 0; start < subjects.length; start += subjectsPerDocument) {
      batch.create(
        this.#subjects(regulation.regulationId).doc(String(start / subjectsPerDocument)),
        {
          ids: subjects.slice(start, start + subjectsPerDocument),
        },
      );
    }
    await batch.commit();
  }

  async get(regulationId: string): Promise<Regulation | undefined> {
    const snapshot = await this.#doc(regulationId).get();
    return snapshot.exists ? fromDocument(snapshot.id, snapshot.data()!) : undefined;
  }

  async recent(limit: number): Promise<Regulation[]> {
    const snapshot = await this.#firestore
      .collection(collections.regulations.name)
      .orderBy('createdAt', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs.map((doc) => fromDocument(doc.id, doc.data()));
  }

  async subjects(regulationId: string): Promise<string[]> {
    const snapshot = await this.#subjects(regulationId).get();
    return snapshot.docs
      .sort((a, b) => Number(a.id) - Number(b.id))
      .flatMap((doc) => (doc.get('ids') as string[] | undefined) ?? []);
  }

  async countAttempt(regulationId: string, now: Date): Promise<number> {
    return this.#firestore.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(this.#doc(regulationId));
      const attempts = Number(snapshot.get('attempts') ?? 0) + 1;
      transaction.update(this.#doc(regulationId), { attempts, updatedAt: now });
      return attempts;
    });
  }

  async finish(
    regulationId: string,
    status: RegulationStatus,
    receipts: readonly Receipt[],
    now: Date,
  ): Promise<void> {
    const subjects = await this.#subjects(regulationId).listDocuments();
    const batch = this.#firestore.batch();
    batch.update(this.#doc(regulationId), {
      status,
      receipts,
      finishedAt: now,
      updatedAt: now,
      // The hashes stay for an UNSUPPRESS to name; the ids themselves go.
      error: receipts.find((receipt) => receipt.error)?.error ?? null,
    });
    for (const doc of subjects) batch.delete(doc);
    await batch.commit();
  }

  async fail(regulationId: string, error: string, now: Date): Promise<boolean> {
    const subjects = await this.#subjects(regulationId).listDocuments();
    return this.#firestore.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(this.#doc(regulationId));
      if (!snapshot.exists || snapshot.get('finishedAt')) return false;
      transaction.update(this.#doc(regulationId), {
        status: 'FAILED',
        error,
        finishedAt: now,
        updatedAt: now,
      });
      // A regulation that ends, however it ends, keeps no ids.
      for (const doc of subjects) transaction.delete(doc);
      return true;
    });
  }

  #doc(regulationId: string) {
    return this.#firestore.collection(collections.regulations.name).doc(regulationId);
  }

  #subjects(regulationId: string) {
    return this.#doc(regulationId).collection(collections.regulationSubjects.name);
  }
}

function toDocument(regulation: Regulation): Record<string, unknown> {
  const { regulationId: _id, ...fields } = regulation;
  return fields;
}

function fromDocument(id: string, data: Record<string, unknown>): Regulation {
  const receipts = Array.isArray(data.receipts) ? (data.receipts as Record<string, unknown>[]) : [];
  return {
    regulationId: id,
    type: data.type as Regulation['type'],
    subjectKind: data.subjectKind as Regulation['subjectKind'],
    subjectCount: Number(data.subjectCount ?? 0),
    subjectHashes: Array.isArray(data.subjectHashes) ? (data.subjectHashes as string[]) : [],
    status: data.status as RegulationStatus,
    createdAt: timestampDate(data.createdAt) ?? new Date(0),
    updatedAt: timestampDate(data.updatedAt) ?? new Date(0),
    finishedAt: timestampDate(data.finishedAt),
    listedAt: timestampDate(data.listedAt),
    attempts: Number(data.attempts ?? 0),
    receipts: receipts.map((receipt) => ({
      store: receipt.store as Receipt['store'],
      searched: typeof receipt.searched === 'string' ? receipt.searched : '',
      removed: Number(receipt.removed ?? 0),
      at: timestampDate(receipt.at) ?? new Date(0),
      error: (receipt.error as string | null | undefined) ?? null,
    })),
    error: (data.error as string | null | undefined) ?? null,
  };
}
