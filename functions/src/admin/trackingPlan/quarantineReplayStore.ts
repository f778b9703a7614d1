import type { Firestore } from '@google-cloud/firestore';
import { collections } from '../../../../infra/spec.ts';
import { timestampDate } from '../../lib/documentCollection.ts';
import type { QuarantineReplay, QuarantineReplayStore } from './quarantineReplay.ts';

/** Quarantine replays' progress records in Firestore. */
export class FirestoreQuarantineReplayStore implements QuarantineReplayStore {
  readonly #firestore: Firestore;

  constructor(firestore: Firestore) {
    this.#firestore = firestore;
  }

  async create(job: QuarantineReplay): Promise<void> {
    await this.#doc(job.replayId).create(toDocument(job));
  }

  async get(replayId: string): Promise<QuarantineReplay | undefined> {
    const data = (await this.#doc(replayId).get()).data();
    return data ? fromDocument(data) : undefined;
  }

  async advance(job: QuarantineReplay, fromStep: number): Promise<boolean> {
    return this.#firestore.runTransaction(async (transaction) => {
      const current = (await transaction.get(this.#doc(job.replayId))).data();
      if (!current || Number(current.step) !== fromStep) return false;
      transaction.set(this.#doc(job.replayId), toDocument(job));
      return true;
    });
  }

  async recent(limit: number): Promise<QuarantineReplay[]> {
    const snapshot = await this.#collection().orderBy('createdAt', 'desc').limit(limit).get();
    return snapshot.docs.map((doc) => fromDocument(doc.data()));
  }

  #collection() {
    return this.#firestore.collection(collections.quarantineReplays.name);
  }

  #doc(replayId: string) {
    return this.#collection().doc(replayId);
  }
}

function toDocument(job: QuarantineReplay): Record<string, unknown> {
  return {
    ...job,
    filter: {
      eventType: job.filter.eventType ?? null,
      from: job.filter.from ?? null,
      to: job.filter.to ?? null,
    },
  };
}

function fromDocument(data: Record<string, unknown>): QuarantineReplay {
  const filter = (data.filter ?? {}) as Record<string, unknown>;
  const from = timestampDate(filter.from);
  const to = timestampDate(filter.to);
  return {
    replayId: String(data.replayId),
    status: data.status === 'completed' ? 'completed' : 'running',
    filter: {
      ...(typeof filter.eventType === 'string' ? { eventType: filter.eventType } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
    planRevision: Number(data.planRevision ?? 0),
    createdAt: timestampDate(data.createdAt) ?? new Date(0),
    updatedAt: timestampDate(data.updatedAt) ?? new Date(0),
    finishedAt: timestampDate(data.finishedAt),
    matched: Number(data.matched ?? 0),
    replayed: Number(data.replayed ?? 0),
    stillFailing: Number(data.stillFailing ?? 0),
    skipped: Number(data.skipped ?? 0),
    failed: Number(data.failed ?? 0),
    step: Number(data.step ?? 0),
    cursor: typeof data.cursor === 'string' ? data.cursor : null,
    expireAt: timestampDate(data.expireAt) ?? new Date(0),
  };
}
