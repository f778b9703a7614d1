import {
  AggregateField,
  FieldPath,
  Timestamp,
  type Firestore,
  type Query,
} from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import type { EventRecord, EventStatus } from '../process/eventRecord.ts';
import { fromSnapshot } from '../process/eventStatusStore.ts';
import type { Cursor, FailedEventFilter } from './failedEvents.ts';

export type FailedEventPage = { items: EventRecord[]; next: Cursor | null };

/** Reads over many event documents, for operators. Writes stay in EventStatusStore. */
export interface EventQueries {
  failedPage(filter: FailedEventFilter, limit: number, after?: Cursor): Promise<FailedEventPage>;
  /**
   * A page by position, for APIs that number pages. Firestore reads the documents it
   * skips, so deep pages cost more than the cursor's; callers bound `offset`.
   */
  failedPageAt(filter: FailedEventFilter, limit: number, offset: number): Promise<EventRecord[]>;
  countFailed(filter: FailedEventFilter): Promise<number>;
  countByStatus(status: EventStatus): Promise<number>;
  countByType(eventType: string): Promise<number>;
  /** Distinct event types in ascending order, at most `max` (one read each). */
  eventTypes(max: number): Promise<{ types: string[]; truncated: boolean }>;
  countProcessedInHour(hour: string): Promise<number>;
  /** Receipt and processing times of up to `limit` events processed in that hour. */
  processedSample(hour: string, limit: number): Promise<{ receivedAt: Date; processedAt: Date }[]>;
}

// What a list shows: everything but the event body and the history.
const listFields = [
  'status',
  'eventType',
  'source',
  'producer',
  'idempotencyKey',
  'attempts',
  'replays',
  'receivedAt',
  'occurredAt',
  'processedAt',
  'failedAt',
  'deadLetteredAt',
  'queuedAt',
  'lastError',
  'updatedAt',
  'expireAt',
];

export class FirestoreEventQueries implements EventQueries {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async failedPage(
    filter: FailedEventFilter,
    limit: number,
    after?: Cursor,
  ): Promise<FailedEventPage> {
    let query = this.#failedQuery(filter)
      .orderBy('failedAt', 'desc')
      .orderBy(FieldPath.documentId(), 'desc');
    if (after) query = query.startAfter(Timestamp.fromDate(after.failedAt), after.eventId);
    const snapshot = await query
      .select(...listFields)
      .limit(limit + 1)
      .get();
    const items = snapshot.docs.slice(0, limit).map(fromSnapshot);
    const last = items.at(-1);
    const next =
      snapshot.docs.length > limit && last?.failedAt
        ? { failedAt: last.failedAt, eventId: last.eventId }
        : null;
    return { items, next };
  }

  async failedPageAt(
    filter: FailedEventFilter,
    limit: number,
    offset: number,
  ): Promise<EventRecord[]> {
    const snapshot = await this.#failedQuery(filter)
      .orderBy('failedAt', 'desc')
      .orderBy(FieldPath.documentId(), 'desc')
      .select(...listFields)
      .offset(offset)
      .limit(limit)
      .get();
    return snapshot.docs.map(fromSnapshot);
  }

  async countFailed(filter: FailedEventFilter): Promise<number> {
    return count(this.#failedQuery(filter));
  }

  countByStatus(status: EventStatus): Promise<number> {
    return count(this.#events().where('status', '==', status));
  }

  countByType(eventType: string): Promise<number> {
    return count(this.#events().where('eventType', '==', eventType));
  }

  async eventTypes(max: number): Promise<{ types: string[]; truncated: boolean }> {
    // A skip scan over the eventType index: each step reads the first document of the
    // next type, so the cost is one read per distinct type, not per event.
    const types: string[] = [];
    let last: string | undefined;
    while (types.length <= max) {
      let query = this.#events().orderBy('eventType');
      if (last !== undefined) query = query.where('eventType', '>', last);
      const snapshot = await query.select('eventType').limit(1).get();
      const type = snapshot.docs[0]?.get('eventType') as unknown;
      if (typeof type !== 'string') break;
      types.push(type);
      last = type;
    }
    return { types: types.slice(0, max), truncated: types.length > max };
  }

  countProcessedInHour(hour: string): Promise<number> {
    return count(this.#events().where('processedHour', '==', hour));
  }

  async processedSample(
    hour: string,
    limit: number,
  ): Promise<{ receivedAt: Date; processedAt: Date }[]> {
    const snapshot = await this.#events()
      .where('processedHour', '==', hour)
      .select('receivedAt', 'processedAt')
      .limit(limit)
      .get();
    return snapshot.docs.flatMap((doc) => {
      const receivedAt = doc.get('receivedAt') as unknown;
      const processedAt = doc.get('processedAt') as unknown;
      return receivedAt instanceof Timestamp && processedAt instanceof Timestamp
        ? [{ receivedAt: receivedAt.toDate(), processedAt: processedAt.toDate() }]
        : [];
    });
  }

  #failedQuery(filter: FailedEventFilter): Query {
    let query: Query = this.#events();
    query =
      filter.statuses.length === 1
        ? query.where('status', '==', filter.statuses[0])
        : query.where('status', 'in', filter.statuses);
    if (filter.eventType) query = query.where('eventType', '==', filter.eventType);
    if (filter.from) query = query.where('failedAt', '>=', Timestamp.fromDate(filter.from));
    if (filter.to) query = query.where('failedAt', '<', Timestamp.fromDate(filter.to));
    return query;
  }

  #events() {
    return this.#firestore.collection(collections.events.name);
  }
}

async function count(query: Query): Promise<number> {
  const snapshot = await query.aggregate({ count: AggregateField.count() }).get();
  return snapshot.data().count;
}
