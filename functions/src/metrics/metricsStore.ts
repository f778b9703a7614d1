import { Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import type { DailyMetricsDoc, SiteStatsDoc } from './dailyMetrics.ts';

type StoredTypeCount = { eventType: unknown; count: unknown };
type StoredPathViews = { path: unknown; views: unknown };

/** The daily documents recomputeMetrics writes and the API reads for closed days. */
export interface MetricsDocStore {
  getDays(dates: readonly string[]): Promise<Map<string, DailyMetricsDoc>>;
  /** The day's document and the site's document of that day, in one read. */
  getSiteDay(
    siteId: string,
    date: string,
  ): Promise<{ day: DailyMetricsDoc | undefined; site: SiteStatsDoc | undefined }>;
  /** One site's documents of these days, by day; a day without one has no entry. */
  getSiteDays(siteId: string, dates: readonly string[]): Promise<Map<string, SiteStatsDoc>>;
  /**
   * Writes the site documents first and the day documents last: a day document
   * that is there means the site documents of that day are too.
   */
  saveRecomputed(days: readonly DailyMetricsDoc[], sites: readonly SiteStatsDoc[]): Promise<void>;
}

export function siteStatsId(date: string, siteId: string): string {
  // Document ids cannot hold "/"; the date prefix keeps them clear of reserved ids.
  return `${date}_${encodeURIComponent(siteId)}`;
}

export class FirestoreMetricsDocStore implements MetricsDocStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async getDays(dates: readonly string[]): Promise<Map<string, DailyMetricsDoc>> {
    const result = new Map<string, DailyMetricsDoc>();
    if (dates.length === 0) return result;
    const snapshots = await this.#firestore.getAll(...dates.map((date) => this.#dayRef(date)));
    for (const snapshot of snapshots) {
      const doc = dayFromSnapshot(snapshot);
      if (doc) result.set(doc.date, doc);
    }
    return result;
  }

  async getSiteDay(
    siteId: string,
    date: string,
  ): Promise<{ day: DailyMetricsDoc | undefined; site: SiteStatsDoc | undefined }> {
    const [day, site] = await this.#firestore.getAll(
      this.#dayRef(date),
      this.#siteRef(date, siteId),
    );
    return { day: day && dayFromSnapshot(day), site: site && siteFromSnapshot(site) };
  }

  async getSiteDays(siteId: string, dates: readonly string[]): Promise<Map<string, SiteStatsDoc>> {
    const result = new Map<string, SiteStatsDoc>();
    if (dates.length === 0) return result;
    const snapshots = await this.#firestore.getAll(
      ...dates.map((date) => this.#siteRef(date, siteId)),
    );
    for (const snapshot of snapshots) {
      const doc = siteFromSnapshot(snapshot);
      if (doc) result.set(doc.date, doc);
    }
    return result;
  }

  async saveRecomputed(
    days: readonly DailyMetricsDoc[],
    sites: readonly SiteStatsDoc[],
  ): Promise<void> {
    await this.#writeAll(sites.map((site) => [this.#siteRef(site.date, site.siteId), { ...site }]));
    await this.#writeAll(days.map((day) => [this.#dayRef(day.date), { ...day }]));
  }

  async #writeAll(
    writes: [FirebaseFirestore.DocumentReference, Record<string, unknown>][],
  ): Promise<void> {
    if (writes.length === 0) return;
    // BulkWriter paces itself to Firestore's ramp-up rules and retries failed writes.
    const writer = this.#firestore.bulkWriter();
    const results = writes.map(([ref, data]) => writer.set(ref, data));
    await writer.close();
    await Promise.all(results);
  }

  #dayRef(date: string) {
    return this.#firestore.collection(collections.dailyMetrics.name).doc(date);
  }

  #siteRef(date: string, siteId: string) {
    return this.#firestore
      .collection(collections.dailySiteStats.name)
      .doc(siteStatsId(date, siteId));
  }
}

function dayFromSnapshot(snapshot: DocumentSnapshot): DailyMetricsDoc | undefined {
  const data = snapshot.data();
  if (!data) return undefined;
  return {
    date: String(data.date),
    metrics: ((data.metrics ?? []) as StoredTypeCount[]).map((m) => ({
      eventType: text(m.eventType),
      count: Number(m.count),
    })),
    total: Number(data.total ?? 0),
    computedAt: toDate(data.computedAt),
  };
}

function siteFromSnapshot(snapshot: DocumentSnapshot): SiteStatsDoc | undefined {
  const data = snapshot.data();
  if (!data) return undefined;
  return {
    siteId: String(data.siteId),
    date: String(data.date),
    totalViews: Number(data.totalViews ?? 0),
    uniqueUsers: Number(data.uniqueUsers ?? 0),
    topPaths: ((data.topPaths ?? []) as StoredPathViews[]).map((p) => ({
      path: text(p.path),
      views: Number(p.views),
    })),
    computedAt: toDate(data.computedAt),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toDate(value: unknown): Date {
  return value instanceof Timestamp ? value.toDate() : new Date(0);
}
