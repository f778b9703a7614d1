import {
  FieldValue,
  type DocumentSnapshot,
  type Firestore,
  type Timestamp,
} from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import type { Attempt, DeliveryRecord } from './delivery.ts';
import { timestampDate as date } from '../lib/documentCollection.ts';

export type DeliveryVersion = { readonly updateTime: Timestamp };

/** A delivery as listed: no attempt log and no event body (up to 1 MB each). */
export type DeliverySummary = Omit<DeliveryRecord, 'attempts' | 'event' | 'expireAt'>;
export type StoredDelivery = { record: DeliveryRecord; version: DeliveryVersion };

/**
 * Delivery records, `events/{eventId}/deliveries/{endpointId}`. Writes are conditional
 * on the version read (or on absence), so concurrent attempts never lose each other's log.
 */
export interface DeliveryStore {
  get(eventId: string, endpointId: string): Promise<StoredDelivery | undefined>;
  put(next: DeliveryRecord, expected: DeliveryVersion | undefined): Promise<'written' | 'conflict'>;
  listForEvent(eventId: string): Promise<DeliveryRecord[]>;
  /** Undelivered deliveries of an endpoint that first failed in [from, to), oldest first. */
  listFailed(endpointId: string, from: Date, to: Date, limit: number): Promise<StoredDelivery[]>;
  /**
   * An endpoint's deliveries of the latest hours, newest hour first (within an hour the
   * index orders them by event id), whatever their status.
   */
  listRecent(endpointId: string, limit: number): Promise<DeliverySummary[]>;
  /** An endpoint's undelivered deliveries, newest first failure first. */
  listRecentFailures(endpointId: string, limit: number): Promise<DeliverySummary[]>;
}

const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

export class FirestoreDeliveryStore implements DeliveryStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async get(eventId: string, endpointId: string): Promise<StoredDelivery | undefined> {
    const snapshot = await this.#doc(eventId, endpointId).get();
    return stored(snapshot);
  }

  async put(
    next: DeliveryRecord,
    expected: DeliveryVersion | undefined,
  ): Promise<'written' | 'conflict'> {
    const doc = this.#doc(next.eventId, next.endpointId);
    try {
      if (expected) {
        await doc.update(toDocument(next, 'update'), { lastUpdateTime: expected.updateTime });
      } else await doc.create(toDocument(next, 'create'));
      return 'written';
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION) return 'conflict';
      throw error;
    }
  }

  async listForEvent(eventId: string): Promise<DeliveryRecord[]> {
    const snapshot = await this.#firestore
      .collection(collections.events.name)
      .doc(eventId)
      .collection(collections.deliveries.name)
      .get();
    return snapshot.docs.map((doc) => fromSnapshot(doc));
  }

  async listFailed(
    endpointId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<StoredDelivery[]> {
    const snapshot = await this.#firestore
      .collectionGroup(collections.deliveries.name)
      .where('endpointId', '==', endpointId)
      .where('failedAt', '>=', from)
      .where('failedAt', '<', to)
      .orderBy('failedAt')
      .limit(limit)
      .get();
    return snapshot.docs.flatMap((doc) => stored(doc) ?? []);
  }

  async listRecent(endpointId: string, limit: number): Promise<DeliverySummary[]> {
    const snapshot = await this.#ofEndpoint(endpointId)
      .orderBy('createdHour', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs.map((doc) => summaryOf(doc));
  }

  async listRecentFailures(endpointId: string, limit: number): Promise<DeliverySummary[]> {
    const snapshot = await this.#ofEndpoint(endpointId)
      .orderBy('failedAt', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs.map((doc) => summaryOf(doc));
  }

  #ofEndpoint(endpointId: string) {
    return this.#firestore
      .collectionGroup(collections.deliveries.name)
      .where('endpointId', '==', endpointId)
      .select(...summaryFields);
  }

  #doc(eventId: string, endpointId: string) {
    return this.#firestore
      .collection(collections.events.name)
      .doc(eventId)
      .collection(collections.deliveries.name)
      .doc(endpointId);
  }
}

function stored(snapshot: DocumentSnapshot): StoredDelivery | undefined {
  if (!snapshot.exists || !snapshot.updateTime) return undefined;
  return { record: fromSnapshot(snapshot), version: { updateTime: snapshot.updateTime } };
}

/** Empty fields are left out, so `failedAt` (and its index) holds undelivered deliveries only. */
function toDocument(record: DeliveryRecord, mode: 'create' | 'update'): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    if (value !== null) document[field] = value;
    else if (mode === 'update') document[field] = FieldValue.delete();
  }
  return document;
}

const summaryFields = [
  'eventId',
  'endpointId',
  'eventType',
  'status',
  'attemptCount',
  'createdAt',
  'createdHour',
  'updatedAt',
  'deliveredAt',
  'failedAt',
  'exhaustedAt',
  'lastError',
] as const satisfies readonly (keyof DeliverySummary)[];

function summaryOf(snapshot: DocumentSnapshot): DeliverySummary {
  const data = snapshot.data() ?? {};
  const createdAt = date(data.createdAt) ?? new Date(0);
  return {
    eventId: String(data.eventId ?? snapshot.ref.parent.parent?.id ?? ''),
    endpointId: String(data.endpointId ?? snapshot.id),
    eventType: String(data.eventType ?? ''),
    status: data.status as DeliveryRecord['status'],
    attemptCount: Number(data.attemptCount ?? 0),
    createdAt,
    // Records written before the field existed (never listed as recent): their creation hour.
    createdHour:
      typeof data.createdHour === 'string'
        ? data.createdHour
        : createdAt.toISOString().slice(0, 13),
    updatedAt: date(data.updatedAt) ?? new Date(0),
    deliveredAt: date(data.deliveredAt),
    failedAt: date(data.failedAt),
    exhaustedAt: date(data.exhaustedAt),
    lastError: (data.lastError as DeliveryRecord['lastError'] | undefined) ?? null,
  };
}

function fromSnapshot(snapshot: DocumentSnapshot): DeliveryRecord {
  const data = snapshot.data() ?? {};
  return {
    ...summaryOf(snapshot),
    attempts: ((data.attempts as Record<string, unknown>[] | undefined) ?? []).map(
      (attempt): Attempt => ({
        at: date(attempt.at) ?? new Date(0),
        statusCode: (attempt.statusCode as number | null | undefined) ?? null,
        latencyMs: Number(attempt.latencyMs ?? 0),
        outcome: attempt.outcome as Attempt['outcome'],
        error: (attempt.error as Attempt['error'] | undefined) ?? null,
        responseExcerpt: (attempt.responseExcerpt as string | null | undefined) ?? null,
      }),
    ),
    event: (data.event as string | null | undefined) ?? null,
    expireAt: date(data.expireAt) ?? new Date(0),
  };
}
