import {
  FieldValue,
  Timestamp,
  type DocumentSnapshot,
  type Firestore,
} from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import type { Violation } from '../plan/trackingPlan.ts';
import type { EventRecord, HistoryEntry } from './eventRecord.ts';

/** Opaque token of the stored version a decision was based on. */
export type RecordVersion = { readonly updateTime: Timestamp };

export type StoredEvent = { record: EventRecord; version: RecordVersion };

/**
 * Event status documents. Writes are conditional on the version that was read (or
 * on absence), so two deliveries of one message can never both record a transition.
 */
export interface EventStatusStore {
  get(eventId: string): Promise<StoredEvent | undefined>;
  /** Writes `next` if the document is still at `expected` (or still absent). */
  put(next: EventRecord, expected: RecordVersion | undefined): Promise<'written' | 'conflict'>;
  /**
   * Creates every record that has no document yet, through one bulk writer whose writes
   * succeed or fail one by one (never an atomic batch: one existing record must not
   * fail the others). One result per record, in order; never rejects.
   */
  createAll(records: readonly EventRecord[]): Promise<CreateResult[]>;
}

export type CreateResult =
  { kind: 'written' } | { kind: 'conflict' } | { kind: 'error'; error: unknown };

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

export class FirestoreEventStatusStore implements EventStatusStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async get(eventId: string): Promise<StoredEvent | undefined> {
    const snapshot = await this.#doc(eventId).get();
    if (!snapshot.exists || !snapshot.updateTime) return undefined;
    return { record: fromSnapshot(snapshot), version: { updateTime: snapshot.updateTime } };
  }

  async put(
    next: EventRecord,
    expected: RecordVersion | undefined,
  ): Promise<'written' | 'conflict'> {
    const doc = this.#doc(next.eventId);
    try {
      if (expected)
        await doc.update(toDocument(next, 'update'), { lastUpdateTime: expected.updateTime });
      else await doc.create(toDocument(next, 'create'));
      return 'written';
    } catch (error) {
      if (isConflict(error)) return 'conflict';
      throw error;
    }
  }

  async createAll(records: readonly EventRecord[]): Promise<CreateResult[]> {
    // One record is one create: a bulk writer's set-up would cost more than the write.
    if (records.length === 1) return [await this.#createOne(records[0]!)];
    // BulkWriter sends BatchWrite requests of 20 writes, all at once with throttling off;
    // each write succeeds or fails alone.
    const writer = this.#firestore.bulkWriter({ throttling: false });
    // A transient failure is retried a little; an existing record is a result, not an error.
    writer.onWriteError((error) => !isConflict(error) && error.failedAttempts < maxCreateAttempts);
    const results = records.map((record) =>
      writer.create(this.#doc(record.eventId), toDocument(record, 'create')).then(
        (): CreateResult => ({ kind: 'written' }),
        (error: unknown): CreateResult =>
          isConflict(error) ? { kind: 'conflict' } : { kind: 'error', error },
      ),
    );
    await writer.close();
    return Promise.all(results);
  }

  async #createOne(record: EventRecord): Promise<CreateResult> {
    try {
      await this.#doc(record.eventId).create(toDocument(record, 'create'));
      return { kind: 'written' };
    } catch (error) {
      return isConflict(error) ? { kind: 'conflict' } : { kind: 'error', error };
    }
  }

  #doc(eventId: string) {
    return this.#firestore.collection(collections.events.name).doc(eventId);
  }
}

/** Attempts of one create in the bulk writer before its event is left to redelivery. */
const maxCreateAttempts = 3;

/**
 * Empty fields are left out rather than stored as null: a processed event then carries
 * no failure fields at all, so indexes and queries on them hold failed events only.
 */
function toDocument(record: EventRecord, mode: 'create' | 'update'): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    const empty = value === null || (Array.isArray(value) && value.length === 0);
    if (!empty) document[field] = value;
    else if (mode === 'update') document[field] = FieldValue.delete();
  }
  return document;
}

function isConflict(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === ALREADY_EXISTS || code === FAILED_PRECONDITION;
}

export function fromSnapshot(snapshot: DocumentSnapshot): EventRecord {
  const data = snapshot.data() ?? {};
  const lastError = data.lastError as { code: string; message: string; at: unknown } | null;
  return {
    eventId: snapshot.id,
    status: data.status as EventRecord['status'],
    eventType: (data.eventType as string | null) ?? null,
    source: (data.source as string | null) ?? null,
    producer: (data.producer as string | null) ?? null,
    idempotencyKey: (data.idempotencyKey as string | null) ?? null,
    attempts: Number(data.attempts ?? 0),
    replays: Number(data.replays ?? 0),
    receivedAt: date(data.receivedAt),
    occurredAt: date(data.occurredAt),
    processedAt: date(data.processedAt),
    processedHour: (data.processedHour as string | null) ?? null,
    failedAt: date(data.failedAt),
    deadLetteredAt: date(data.deadLetteredAt),
    queuedAt: date(data.queuedAt),
    lastError: lastError ? { ...lastError, at: date(lastError.at) ?? new Date(0) } : null,
    envelope: (data.envelope as string | null) ?? null,
    violations: Array.isArray(data.violations) ? (data.violations as Violation[]) : [],
    violationDay: (data.violationDay as string | null) ?? null,
    subjects: Array.isArray(data.subjects) ? (data.subjects as string[]) : [],
    history: Array.isArray(data.history)
      ? (data.history as StoredHistoryEntry[]).map(historyEntry)
      : [],
    updatedAt: date(data.updatedAt) ?? new Date(0),
    expireAt: date(data.expireAt) ?? new Date(0),
  };
}

type StoredHistoryEntry = {
  at: unknown;
  status: HistoryEntry['status'];
  attempts?: unknown;
  replay?: unknown;
  error?: HistoryEntry['error'];
};

function historyEntry(entry: StoredHistoryEntry): HistoryEntry {
  return {
    at: date(entry.at) ?? new Date(0),
    status: entry.status,
    attempts: Number(entry.attempts ?? 0),
    replay: Number(entry.replay ?? 0),
    error: entry.error ?? null,
  };
}

function date(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : null;
}
