import { randomUUID } from 'node:crypto';
import type { DailyMetricsDoc, SiteStatsDoc } from '../../functions/src/metrics/dailyMetrics.ts';
import type { MetricsDocStore } from '../../functions/src/metrics/metricsStore.ts';
import type { PulledMessage, PullSource } from '../../functions/src/warehouse/pullSource.ts';
import type {
  RejectionStore,
  WarehouseRejection,
} from '../../functions/src/warehouse/rejectionStore.ts';
import {
  WarehouseUnavailableError,
  type QueryParams,
  type SubjectErasure,
  type Warehouse,
  type WarehouseRow,
  type WriteResult,
} from '../../functions/src/warehouse/warehouse.ts';

/** A message of `events-processed` as the loader pulls it. */
export function processedMessage(
  ackId: string,
  eventId: string = randomUUID(),
  overrides: Record<string, unknown> = {},
): PulledMessage {
  return processedBatchMessage(ackId, [{ eventId, overrides }]);
}

/** A processed event as the earlier format published it: the whole data, one event. */
export function legacyProcessedMessage(
  ackId: string,
  eventId: string = randomUUID(),
): PulledMessage {
  return {
    ackId,
    messageId: `m-${ackId}`,
    data: Buffer.from(JSON.stringify(processedEvent(eventId, {}))),
    attributes: { eventId },
  };
}

function processedEvent(eventId: string, overrides: Record<string, unknown>) {
  return {
    eventId,
    eventType: 'page.viewed',
    payload: {},
    occurredAt: '2026-01-02T03:00:00.000Z',
    receivedAt: '2026-01-02T03:00:01.000Z',
    processedAt: '2026-01-02T03:00:02.000Z',
    source: 'api',
    producer: 'key_1',
    ...overrides,
  };
}

/** One message of `events-processed` carrying its events, as processEvent packs them. */
export function processedBatchMessage(
  ackId: string,
  events: { eventId?: string; overrides?: Record<string, unknown> }[],
): PulledMessage {
  const decoded = events.map(({ eventId, overrides }) =>
    processedEvent(eventId ?? randomUUID(), overrides ?? {}),
  );
  return {
    ackId,
    messageId: `m-${ackId}`,
    data: Buffer.from(JSON.stringify({ events: decoded })),
    attributes: { events: String(events.length) },
  };
}

/**
 * A subscription in memory: pulls hand out what is queued, at most `perPull` at a
 * time; released messages come back; acknowledged ones are gone.
 */
export class FakePullSource implements PullSource {
  readonly queue: PulledMessage[] = [];
  readonly acknowledged: string[] = [];
  readonly released: string[] = [];
  pulls = 0;
  failPulls = false;
  readonly #perPull: number;
  readonly #leased = new Map<string, PulledMessage>();

  constructor(messages: PulledMessage[], options: { perPull?: number } = {}) {
    this.queue.push(...messages);
    this.#perPull = options.perPull ?? 1000;
  }

  async pull(maxMessages: number): Promise<PulledMessage[]> {
    this.pulls += 1;
    if (this.failPulls) throw new Error('pull failed');
    const taken = this.queue.splice(0, Math.min(maxMessages, this.#perPull));
    for (const message of taken) this.#leased.set(message.ackId, message);
    return taken;
  }

  async acknowledge(ackIds: readonly string[]): Promise<void> {
    for (const ackId of ackIds) {
      this.#leased.delete(ackId);
      this.acknowledged.push(ackId);
    }
  }

  async release(ackIds: readonly string[]): Promise<void> {
    for (const ackId of ackIds) {
      const message = this.#leased.get(ackId);
      this.#leased.delete(ackId);
      this.released.push(ackId);
      if (message) this.queue.push(message);
    }
  }

  async close(): Promise<void> {}
}

/** Keeps written rows in memory; refuses rows whose event id is listed, or fails whole calls. */
export class FakeWarehouse implements Warehouse {
  readonly dialect = 'duckdb';
  readonly rows: WarehouseRow[] = [];
  readonly calls: number[] = [];
  refuse = new Map<string, string>();
  failures = 0;

  async write(rows: readonly WarehouseRow[]): Promise<WriteResult> {
    this.calls.push(rows.length);
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('warehouse down');
    }
    const rejected: WriteResult['rejected'] = [];
    for (const [index, row] of rows.entries()) {
      const reason = this.refuse.get(row.event_id);
      if (reason) rejected.push({ index, reason });
      else this.rows.push(row);
    }
    return { rejected };
  }

  async query(_sql: string, _params: QueryParams): Promise<Record<string, unknown>[]> {
    return [];
  }

  async eraseSubjects(ids: readonly string[]): Promise<SubjectErasure> {
    const before = this.rows.length;
    const kept = this.rows.filter((row) => !ids.includes(row.user_id ?? ''));
    this.rows.splice(0, this.rows.length, ...kept);
    return { removed: before - kept.length, searched: 'rows by user_id' };
  }

  async close(): Promise<void> {}
}

export class FakeRejectionStore implements RejectionStore {
  readonly recorded: WarehouseRejection[] = [];
  failures = 0;

  async record(rejections: readonly WarehouseRejection[]): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('firestore down');
    }
    this.recorded.push(...rejections);
  }
}

/**
 * Counts the calls a real warehouse receives. `loseAcknowledgements` makes the first
 * N writes succeed in the warehouse and then fail, as when a loader crashes after
 * writing and before acknowledging: Pub/Sub redelivers rows already stored.
 */
export class CountingWarehouse implements Warehouse {
  readonly inner: Warehouse;
  readonly writes: number[] = [];
  readonly lostAcknowledgementRows: number[] = [];
  queries = 0;
  #loseAcknowledgements: number;

  constructor(inner: Warehouse, options: { loseAcknowledgements?: number } = {}) {
    this.inner = inner;
    this.#loseAcknowledgements = options.loseAcknowledgements ?? 0;
  }

  get dialect(): Warehouse['dialect'] {
    return this.inner.dialect;
  }

  async write(rows: readonly WarehouseRow[]): Promise<WriteResult> {
    this.writes.push(rows.length);
    const result = await this.inner.write(rows);
    if (this.#loseAcknowledgements > 0) {
      this.#loseAcknowledgements -= 1;
      this.lostAcknowledgementRows.push(rows.length - result.rejected.length);
      throw new WarehouseUnavailableError('connection lost after the write');
    }
    return result;
  }

  async query(sql: string, params: QueryParams): Promise<Record<string, unknown>[]> {
    this.queries += 1;
    return this.inner.query(sql, params);
  }

  eraseSubjects(ids: readonly string[]): Promise<SubjectErasure> {
    return this.inner.eraseSubjects(ids);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}

/** The real daily documents store, recording every save once it is done. */
export class RecordingMetricsDocStore implements MetricsDocStore {
  readonly saves: { days: number; sites: number }[] = [];
  readonly #inner: MetricsDocStore;

  constructor(inner: MetricsDocStore) {
    this.#inner = inner;
  }

  getDays(dates: readonly string[]): ReturnType<MetricsDocStore['getDays']> {
    return this.#inner.getDays(dates);
  }

  getSiteDay(siteId: string, date: string): ReturnType<MetricsDocStore['getSiteDay']> {
    return this.#inner.getSiteDay(siteId, date);
  }

  getSiteDays(
    siteId: string,
    dates: readonly string[],
  ): ReturnType<MetricsDocStore['getSiteDays']> {
    return this.#inner.getSiteDays(siteId, dates);
  }

  async saveRecomputed(
    days: readonly DailyMetricsDoc[],
    sites: readonly SiteStatsDoc[],
  ): Promise<void> {
    await this.#inner.saveRecomputed(days, sites);
    this.saves.push({ days: days.length, sites: sites.length });
  }
}
