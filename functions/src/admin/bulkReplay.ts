import { randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import { defaults } from '../lib/defaults.ts';
import { mapLimit } from '../lib/mapLimit.ts';
import type { EventStatus } from '../process/eventRecord.ts';
import type { EventQueries } from './eventQueries.ts';
import {
  decodeCursor,
  describeFilter,
  encodeCursor,
  type FailedEventFilter,
} from './failedEvents.ts';
import { replayEvent, type ReplayDeps, type ReplayOutcome } from './replay.ts';

/** The progress record of one bulk replay (`replay_jobs/{replayId}`). */
export type ReplayJob = {
  replayId: string;
  status: 'running' | 'completed';
  filter: FailedEventFilter;
  /** Events failed after this are left alone, so the set is fixed when the job starts. */
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** The dry-run count when the job started. */
  matched: number;
  replayed: number;
  /** Changed since the count (processed, already queued, unreadable). */
  skipped: number;
  /** Could not be published; replay them again later. */
  failed: number;
  pages: number;
  /** Where the next page starts; null before the first page and when done. */
  cursor: string | null;
  expireAt: Date;
};

export interface ReplayJobStore {
  create(job: ReplayJob): Promise<void>;
  get(replayId: string): Promise<ReplayJob | undefined>;
  save(job: ReplayJob): Promise<void>;
  recent(limit: number): Promise<ReplayJob[]>;
}

export type BulkReplayDeps = ReplayDeps & {
  queries: EventQueries;
  jobs: ReplayJobStore;
  pageSize: number;
  concurrency: number;
  /** How long one request keeps working before it answers with the progress so far. */
  budgetMs: number;
  jobTtlDays: number;
};

/** Freezes the filter at the moment the job starts: later failures are not picked up. */
export function frozenFilter(filter: FailedEventFilter, startedAt: Date): FailedEventFilter {
  const to = filter.to && filter.to < startedAt ? filter.to : startedAt;
  return { ...filter, to };
}

export function newReplayJob(
  filter: FailedEventFilter,
  matched: number,
  now: Date,
  ttlDays: number,
): ReplayJob {
  return {
    replayId: randomUUID(),
    status: matched === 0 ? 'completed' : 'running',
    filter: frozenFilter(filter, now),
    createdAt: now,
    updatedAt: now,
    finishedAt: matched === 0 ? now : null,
    matched,
    replayed: 0,
    skipped: 0,
    failed: 0,
    pages: 0,
    cursor: null,
    expireAt: new Date(now.getTime() + ttlDays * 86_400_000),
  };
}

/** Adds one page's outcomes to the job's counts. */
export function tally(job: ReplayJob, outcomes: ReplayOutcome[]): ReplayJob {
  const count = (kinds: ReplayOutcome['kind'][]) =>
    outcomes.filter((o) => kinds.includes(o.kind)).length;
  return {
    ...job,
    replayed: job.replayed + count(['replayed']),
    skipped: job.skipped + count(['refused', 'not_found', 'erased']),
    failed: job.failed + count(['unavailable']),
    pages: job.pages + 1,
  };
}

/**
 * Works through the job page by page, saving the cursor after each page, until it is
 * done or the time budget is spent. A stopped job resumes from its cursor; replaying an
 * event twice is prevented by the state machine (a QUEUED event is skipped).
 */
export async function runReplayJob(start: ReplayJob, deps: BulkReplayDeps): Promise<ReplayJob> {
  let job = start;
  const deadline = Date.now() + deps.budgetMs;
  // The job's document is written at most once a second (and when the run ends): a resume
  // from an older cursor replays nothing twice, as queued events are skipped.
  let savedAt = Date.now();
  let unsaved = false;
  // At least one page per call, so every resume makes progress.
  for (
    let first = true;
    job.status === 'running' && (first || Date.now() < deadline);
    first = false
  ) {
    const page = await deps.queries.failedPage(
      job.filter,
      deps.pageSize,
      job.cursor ? decodeCursor(job.cursor) : undefined,
    );
    const outcomes = await mapLimit(page.items, deps.concurrency, (item) =>
      replayEvent(item.eventId, deps),
    );
    const now = deps.now();
    job = {
      ...tally(job, outcomes),
      cursor: page.next ? encodeCursor(page.next) : null,
      updatedAt: now,
      ...(page.next ? {} : { status: 'completed' as const, finishedAt: now }),
    };
    unsaved = true;
    if (job.status !== 'running' || Date.now() - savedAt >= defaults.replayJobSaveIntervalMs) {
      await deps.jobs.save(job);
      savedAt = Date.now();
      unsaved = false;
    }
  }
  if (unsaved) await deps.jobs.save(job);
  return job;
}

export function presentJob(job: ReplayJob): Record<string, unknown> {
  return {
    replayId: job.replayId,
    status: job.status,
    filter: describeFilter(job.filter),
    matched: job.matched,
    replayed: job.replayed,
    skipped: job.skipped,
    failed: job.failed,
    remaining: Math.max(0, job.matched - job.replayed - job.skipped - job.failed),
    pages: job.pages,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export class FirestoreReplayJobStore implements ReplayJobStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async create(job: ReplayJob): Promise<void> {
    await this.#doc(job.replayId).create(toDocument(job));
  }

  async get(replayId: string): Promise<ReplayJob | undefined> {
    const snapshot = await this.#doc(replayId).get();
    const data = snapshot.data();
    return data ? fromDocument(data) : undefined;
  }

  async save(job: ReplayJob): Promise<void> {
    await this.#doc(job.replayId).set(toDocument(job));
  }

  async recent(limit: number): Promise<ReplayJob[]> {
    const snapshot = await this.#firestore
      .collection(collections.replayJobs.name)
      .orderBy('createdAt', 'desc')
      .limit(limit)
      .get();
    return snapshot.docs.map((doc) => fromDocument(doc.data()));
  }

  #doc(replayId: string) {
    return this.#firestore.collection(collections.replayJobs.name).doc(replayId);
  }
}

function toDocument(job: ReplayJob): Record<string, unknown> {
  return {
    ...job,
    filter: {
      statuses: job.filter.statuses,
      eventType: job.filter.eventType ?? null,
      from: job.filter.from ?? null,
      to: job.filter.to ?? null,
    },
  };
}

function fromDocument(data: Record<string, unknown>): ReplayJob {
  const filter = data.filter as Record<string, unknown>;
  const from = date(filter.from);
  const to = date(filter.to);
  return {
    replayId: String(data.replayId),
    status: data.status === 'completed' ? 'completed' : 'running',
    filter: {
      statuses: filter.statuses as EventStatus[],
      ...(typeof filter.eventType === 'string' ? { eventType: filter.eventType } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
    createdAt: date(data.createdAt) ?? new Date(0),
    updatedAt: date(data.updatedAt) ?? new Date(0),
    finishedAt: date(data.finishedAt),
    matched: Number(data.matched ?? 0),
    replayed: Number(data.replayed ?? 0),
    skipped: Number(data.skipped ?? 0),
    failed: Number(data.failed ?? 0),
    pages: Number(data.pages ?? 0),
    cursor: typeof data.cursor === 'string' ? data.cursor : null,
    expireAt: date(data.expireAt) ?? new Date(0),
  };
}

function date(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : null;
}
