import {
  FieldValue,
  Timestamp,
  type DocumentSnapshot,
  type Firestore,
} from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import { DocumentCollection, timestampDate as date } from '../lib/documentCollection.ts';
import { scopedIdempotencyKey } from '../ingest/idempotency.ts';
import type { FetchCursor } from './fetchWindow.ts';
import type { SourceError, SourceGap, WorkspaceSource } from './source.ts';

/** What a fetch records on its source (counters are increments, so fetches never race). */
export type SourceProgress = {
  eventsFetched?: number;
  lastSuccessAt?: Date;
  lastPolledAt?: Date;
  lastError?: SourceError | null;
  status?: WorkspaceSource['status'];
  statusReason?: string | null;
  nextPollAt?: Date;
  consecutiveFailures?: number | 'increment';
  /** Removes the gaps of this application: its window was completed since. */
  clearGapsOf?: string;
  addGap?: SourceGap;
};

export type StoredCursor = { cursor: FetchCursor; updateTime: Timestamp | undefined };

/** Workspace sources and their cursors in Firestore; the only code that touches them. */
export interface SourceStore {
  create(source: WorkspaceSource): Promise<void>;
  get(id: string): Promise<WorkspaceSource | undefined>;
  list(): Promise<WorkspaceSource[]>;
  /** Reads, changes and writes the source in one transaction; undefined if it does not exist. */
  update(
    id: string,
    change: (current: WorkspaceSource) => WorkspaceSource,
  ): Promise<WorkspaceSource | undefined>;
  delete(id: string): Promise<WorkspaceSource | undefined>;
  recordProgress(id: string, progress: SourceProgress): Promise<void>;
  getCursor(sourceId: string, application: string): Promise<StoredCursor | undefined>;
  listCursors(sourceId: string): Promise<FetchCursor[]>;
  /** Writes the cursor if nobody changed it since it was read; `conflict` otherwise. */
  putCursor(
    sourceId: string,
    cursor: FetchCursor,
    readAt: Timestamp | undefined,
  ): Promise<'written' | 'conflict'>;
}

/** Which activities of a source were already published (overlap and retry dedupe). */
export interface SeenActivities {
  /** The keys among `keys` that were published before. */
  seen(sourceId: string, keys: readonly string[]): Promise<Set<string>>;
  remember(sourceId: string, keys: readonly string[], expireAt: Date): Promise<void>;
}

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

export class FirestoreSourceStore implements SourceStore {
  readonly #firestore: Firestore;
  readonly #documents: DocumentCollection<WorkspaceSource>;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
    this.#documents = new DocumentCollection(firestore, collections.workspaceSources.name, {
      toDocument,
      fromSnapshot,
    });
  }

  create(source: WorkspaceSource): Promise<void> {
    return this.#documents.create(source);
  }

  get(id: string): Promise<WorkspaceSource | undefined> {
    return this.#documents.get(id);
  }

  list(): Promise<WorkspaceSource[]> {
    return this.#documents.list();
  }

  update(
    id: string,
    change: (current: WorkspaceSource) => WorkspaceSource,
  ): Promise<WorkspaceSource | undefined> {
    return this.#documents.update(id, change);
  }

  async delete(id: string): Promise<WorkspaceSource | undefined> {
    const deleted = await this.#documents.delete(id);
    if (deleted) {
      const cursors = this.#documents.doc(id).collection(collections.workspaceCursors.name);
      await this.#firestore.recursiveDelete(cursors);
    }
    return deleted;
  }

  async recordProgress(id: string, progress: SourceProgress): Promise<void> {
    const fields: Record<string, unknown> = {};
    if (progress.eventsFetched) fields.eventsFetched = FieldValue.increment(progress.eventsFetched);
    if (progress.lastSuccessAt) fields.lastSuccessAt = progress.lastSuccessAt;
    if (progress.lastPolledAt) fields.lastPolledAt = progress.lastPolledAt;
    if (progress.lastError !== undefined) fields.lastError = progress.lastError;
    if (progress.status) fields.status = progress.status;
    if (progress.statusReason !== undefined) fields.statusReason = progress.statusReason;
    if (progress.nextPollAt) fields.nextPollAt = progress.nextPollAt;
    if (progress.consecutiveFailures !== undefined) {
      fields.consecutiveFailures =
        progress.consecutiveFailures === 'increment'
          ? FieldValue.increment(1)
          : progress.consecutiveFailures;
    }
    const doc = this.#doc(id);
    try {
      if (progress.clearGapsOf || progress.addGap) {
        // Gaps are a short list read and written together.
        await this.#firestore.runTransaction(async (transaction) => {
          const snapshot = await transaction.get(doc);
          if (!snapshot.exists) return;
          let gaps = fromSnapshot(snapshot).gaps;
          if (progress.clearGapsOf)
            gaps = gaps.filter((g) => g.application !== progress.clearGapsOf);
          if (progress.addGap) gaps = [...gaps, progress.addGap].slice(-20);
          transaction.update(doc, { ...fields, gaps });
        });
      } else if (Object.keys(fields).length > 0) {
        await doc.update(fields);
      }
    } catch (error) {
      // Deleted meanwhile: nothing left to record.
      if ((error as { code?: unknown }).code !== NOT_FOUND) throw error;
    }
  }

  async getCursor(sourceId: string, application: string): Promise<StoredCursor | undefined> {
    const snapshot = await this.#cursorDoc(sourceId, application).get();
    if (!snapshot.exists) return undefined;
    return { cursor: cursorFromSnapshot(snapshot), updateTime: snapshot.updateTime };
  }

  async listCursors(sourceId: string): Promise<FetchCursor[]> {
    const snapshot = await this.#doc(sourceId).collection(collections.workspaceCursors.name).get();
    return snapshot.docs.map(cursorFromSnapshot);
  }

  async putCursor(
    sourceId: string,
    cursor: FetchCursor,
    readAt: Timestamp | undefined,
  ): Promise<'written' | 'conflict'> {
    const doc = this.#cursorDoc(sourceId, cursor.application);
    try {
      if (readAt) await doc.update({ ...cursor }, { lastUpdateTime: readAt });
      else await doc.create({ ...cursor });
      return 'written';
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === FAILED_PRECONDITION || code === ALREADY_EXISTS || code === NOT_FOUND) {
        return 'conflict';
      }
      throw error;
    }
  }

  #doc(id: string) {
    return this.#documents.doc(id);
  }

  #cursorDoc(sourceId: string, application: string) {
    return this.#doc(sourceId).collection(collections.workspaceCursors.name).doc(application);
  }
}

export class FirestoreSeenActivities implements SeenActivities {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async seen(sourceId: string, keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const refs = keys.map((key) => this.#doc(sourceId, key));
    const snapshots = await this.#firestore.getAll(...refs, { fieldMask: ['expireAt'] });
    const found = new Set(snapshots.filter((s) => s.exists).map((s) => s.id));
    return new Set(keys.filter((key) => found.has(scopedIdempotencyKey(sourceId, key))));
  }

  async remember(sourceId: string, keys: readonly string[], expireAt: Date): Promise<void> {
    // A batch holds at most 500 writes.
    for (let start = 0; start < keys.length; start += 500) {
      const batch = this.#firestore.batch();
      for (const key of keys.slice(start, start + 500)) {
        batch.set(this.#doc(sourceId, key), { sourceId, expireAt });
      }
      await batch.commit();
    }
  }

  #doc(sourceId: string, key: string) {
    // The key names people's activity: only its hash is stored.
    return this.#firestore
      .collection(collections.workspaceSeen.name)
      .doc(scopedIdempotencyKey(sourceId, key));
  }
}

function toDocument(source: WorkspaceSource): Record<string, unknown> {
  const { id: _id, ...fields } = source;
  return fields;
}

function fromSnapshot(snapshot: DocumentSnapshot): WorkspaceSource {
  const data = snapshot.data() ?? {};
  const lastError = data.lastError as { code: string; message: string; at: unknown } | null;
  return {
    id: snapshot.id,
    sourceType: 'google_workspace',
    name: (data.name as string | null | undefined) ?? null,
    applications: (data.applications as WorkspaceSource['applications'] | undefined) ?? [],
    lagSeconds: (data.lagSeconds as WorkspaceSource['lagSeconds'] | undefined) ?? {},
    logFetchIntervalSeconds: Number(data.logFetchIntervalSeconds ?? 0),
    callbackUrl: (data.callbackUrl as string | null | undefined) ?? null,
    webhookEndpointId: (data.webhookEndpointId as string | null | undefined) ?? null,
    credentialsType: data.credentialsType === 'service_account' ? 'service_account' : 'oauth',
    credentialsCiphertext: String(data.credentialsCiphertext ?? ''),
    status: (data.status as WorkspaceSource['status'] | undefined) ?? 'active',
    statusReason: (data.statusReason as string | null | undefined) ?? null,
    nextPollAt: date(data.nextPollAt) ?? new Date(0),
    lastPolledAt: date(data.lastPolledAt),
    lastSuccessAt: date(data.lastSuccessAt),
    lastError: lastError
      ? { code: lastError.code, message: lastError.message, at: date(lastError.at) ?? new Date(0) }
      : null,
    consecutiveFailures: Number(data.consecutiveFailures ?? 0),
    eventsFetched: Number(data.eventsFetched ?? 0),
    gaps: ((data.gaps as Record<string, unknown>[] | undefined) ?? []).map((gap) => ({
      application: String(gap.application),
      start: date(gap.start) ?? new Date(0),
      end: date(gap.end) ?? new Date(0),
      at: date(gap.at) ?? new Date(0),
      reason: typeof gap.reason === 'string' ? gap.reason : '',
    })),
    startAt: date(data.startAt) ?? new Date(0),
    createdAt: date(data.createdAt) ?? new Date(0),
    updatedAt: date(data.updatedAt) ?? new Date(0),
  };
}

function cursorFromSnapshot(snapshot: DocumentSnapshot): FetchCursor {
  const data = snapshot.data() ?? {};
  const window = data.window as { start: unknown; end: unknown } | null | undefined;
  return {
    application: snapshot.id,
    cursor: date(data.cursor) ?? new Date(0),
    window: window
      ? { start: date(window.start) ?? new Date(0), end: date(window.end) ?? new Date(0) }
      : null,
    pageToken: (data.pageToken as string | null | undefined) ?? null,
    pagesInWindow: Number(data.pagesInWindow ?? 0),
    eventsFetched: Number(data.eventsFetched ?? 0),
    lastCompletedAt: date(data.lastCompletedAt),
  };
}
