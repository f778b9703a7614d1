import type { Firestore } from '@google-cloud/firestore';
import { Timestamp } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import type { CsvCounts, CsvStop } from './csvIngest.ts';
import type { ColumnReading } from './csvRows.ts';

/** The record of one upload (`upload_batches/{batchId}`). */
/** receiving → completed (read to the end) or stopped (a limit, bad CSV, Pub/Sub down). */
export const uploadStatuses = ['receiving', 'completed', 'stopped'] as const;

export type UploadBatch = {
  batchId: string;
  keyId: string;
  fileName: string | null;
  status: (typeof uploadStatuses)[number];
  rows: number;
  insertedCount: number;
  /** Absent on records written before duplicates were counted. */
  duplicateCount?: number;
  failedCount: number;
  /** How each header was read. Absent on records written before this was kept. */
  columns?: ColumnReading[];
  errors: { row: number; field: string; message: string }[];
  errorsTruncated: boolean;
  stop: { code: string; message: string } | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  expireAt: Date;
};

/** An upload as listed: its record without the columns and row errors. */
export type UploadBatchSummary = Omit<UploadBatch, 'columns' | 'errors' | 'expireAt' | 'updatedAt'>;

export interface UploadBatchStore {
  create(batch: UploadBatch): Promise<void>;
  update(batchId: string, changes: Partial<UploadBatch>): Promise<void>;
  get(batchId: string): Promise<UploadBatch | undefined>;
  /** The latest uploads of every key, newest first. */
  recent(limit: number): Promise<UploadBatchSummary[]>;
}

export function batchChanges(
  counts: CsvCounts,
  now: Date,
  stop?: CsvStop | null,
): Partial<UploadBatch> {
  const changes: Partial<UploadBatch> = {
    rows: counts.rows,
    insertedCount: counts.insertedCount,
    duplicateCount: counts.duplicateCount,
    failedCount: counts.failedCount,
    errors: counts.errors,
    errorsTruncated: counts.errorsTruncated,
    updatedAt: now,
  };
  if (stop === undefined) return changes;
  return {
    ...changes,
    status: stop ? 'stopped' : 'completed',
    stop: stop
      ? {
          code: stop.code,
          message:
            stop.code === 'invalid_header'
              ? stop.fields.map((f) => `${f.field}: ${f.message}`).join('; ')
              : stop.message,
        }
      : null,
    finishedAt: now,
  };
}

export class FirestoreUploadBatchStore implements UploadBatchStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async create(batch: UploadBatch): Promise<void> {
    await this.#doc(batch.batchId).create(batch);
  }

  async update(batchId: string, changes: Partial<UploadBatch>): Promise<void> {
    await this.#doc(batchId).update(changes);
  }

  async get(batchId: string): Promise<UploadBatch | undefined> {
    const data = (await this.#doc(batchId).get()).data();
    if (!data) return undefined;
    return {
      ...(data as UploadBatch),
      startedAt: date(data.startedAt) ?? new Date(0),
      updatedAt: date(data.updatedAt) ?? new Date(0),
      finishedAt: date(data.finishedAt),
      expireAt: date(data.expireAt) ?? new Date(0),
    };
  }

  async recent(limit: number): Promise<UploadBatchSummary[]> {
    // A few uploads a minute at most: an index on their start time is no hotspot.
    const snapshot = await this.#collection()
      .select(...summaryFields)
      .orderBy('startedAt', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs.map((doc) => {
      const data = doc.data();
      return {
        ...(data as UploadBatchSummary),
        batchId: doc.id,
        startedAt: date(data.startedAt) ?? new Date(0),
        finishedAt: date(data.finishedAt),
      };
    });
  }

  #collection() {
    return this.#firestore.collection(collections.uploadBatches.name);
  }

  #doc(batchId: string) {
    return this.#collection().doc(batchId);
  }
}

const summaryFields = [
  'batchId',
  'keyId',
  'fileName',
  'status',
  'rows',
  'insertedCount',
  'duplicateCount',
  'failedCount',
  'errorsTruncated',
  'stop',
  'startedAt',
  'finishedAt',
] as const satisfies readonly (keyof UploadBatchSummary)[];

function date(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : null;
}
