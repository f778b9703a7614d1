import type { BulkWriter, DocumentReference, Firestore } from '@google-cloud/firestore';
import { collections } from '../../../infra/spec.ts';
import type { Receipt } from './regulation.ts';

/** Firestore's `array-contains-any` takes at most 30 values. */
const hashesPerQuery = 30;
const pageSize = 200;

/**
 * Removes a subject's documents from Firestore: event status records (processed, failed,
 * dead-lettered, quarantined) with their webhook deliveries and the warehouse's
 * rejection of them, and idempotency records. Records are found by the keyed hashes
 * they carry (`subjects`), never by the ids. Each erased event leaves an
 * `erased_events/{eventId}` marker so a replay answers 410. Safe to run again: what
 * is gone is not counted twice.
 */
export async function eraseFromFirestore(
  firestore: Firestore,
  hashes: readonly string[],
  regulationId: string,
  options: { now: Date; erasedEventTtlDays: number },
): Promise<Receipt[]> {
  const writer = firestore.bulkWriter();
  const writes: Promise<unknown>[] = [];
  const counts = { events: 0, deliveries: 0, rejections: 0, idempotency: 0 };
  const expireAt = new Date(options.now.getTime() + options.erasedEventTtlDays * 86_400_000);
  try {
    for (const chunk of chunks(hashes, hashesPerQuery)) {
      await drain(firestore.collection(collections.events.name), chunk, async (events) => {
        const rejections = await firestore.getAll(
          ...events.map((ref) =>
            firestore.collection(collections.warehouseRejections.name).doc(ref.id),
          ),
        );
        for (const rejection of rejections) {
          if (!rejection.exists) continue;
          counts.rejections += 1;
          writes.push(writer.delete(rejection.ref));
        }
        for (const ref of events) {
          const deliveries = await ref.collection(collections.deliveries.name).listDocuments();
          counts.deliveries += deliveries.length;
          for (const delivery of deliveries) writes.push(writer.delete(delivery));
          writes.push(
            writer.set(firestore.collection(collections.erasedEvents.name).doc(ref.id), {
              regulationId,
              erasedAt: options.now,
              expireAt,
            }),
            writer.delete(ref),
          );
          counts.events += 1;
        }
        await settle(writer, writes);
      });
      await drain(firestore.collection(collections.idempotencyKeys.name), chunk, async (keys) => {
        for (const ref of keys) writes.push(writer.delete(ref));
        counts.idempotency += keys.length;
        await settle(writer, writes);
      });
    }
  } finally {
    await writer.close();
    // Writes left by a sweep that stopped halfway: their failures are its error already.
    await Promise.allSettled(writes);
  }
  const at = options.now;
  const receipt = (store: Receipt['store'], searched: string, removed: number): Receipt => ({
    store,
    searched,
    removed,
    at,
    error: null,
  });
  return [
    receipt('events', 'event status records (every status) by subject hash', counts.events),
    receipt('deliveries', 'webhook deliveries of those events', counts.deliveries),
    receipt('idempotency', 'idempotency records by subject hash', counts.idempotency),
    receipt('warehouseRejections', 'warehouse rejections of those events', counts.rejections),
  ];
}

/** Row errors of uploads that quote one of the ids: removed from their upload's record. */
export async function eraseFromUploads(
  firestore: Firestore,
  subjects: readonly string[],
  now: Date,
): Promise<Receipt> {
  const snapshot = await firestore
    .collection(collections.uploadBatches.name)
    .select('errors')
    .get();
  let removed = 0;
  const writer: BulkWriter = firestore.bulkWriter();
  const writes: Promise<unknown>[] = [];
  try {
    for (const doc of snapshot.docs) {
      const errors =
        (doc.get('errors') as { field?: unknown; message?: unknown }[] | undefined) ?? [];
      const kept = errors.filter(
        (error) =>
          !subjects.some((id) => `${String(error.field)} ${String(error.message)}`.includes(id)),
      );
      if (kept.length === errors.length) continue;
      removed += errors.length - kept.length;
      writes.push(writer.update(doc.ref, { errors: kept }));
    }
    await settle(writer, writes);
  } finally {
    await writer.close();
    // Writes left by a sweep that stopped halfway: their failures are its error already.
    await Promise.allSettled(writes);
  }
  return {
    store: 'uploads',
    searched: `row errors of ${snapshot.size} upload records, for the ids in their text`,
    removed,
    at: now,
    error: null,
  };
}

/**
 * Sends what the writer holds and waits for each write: one that failed after the
 * writer's own retries fails the sweep (its receipt says so), never goes unseen.
 */
async function settle(writer: BulkWriter, writes: Promise<unknown>[]): Promise<void> {
  await writer.flush();
  await Promise.all(writes.splice(0));
}

/** Runs `erase` on pages of the documents carrying any of `hashes` until none is left. */
async function drain(
  collection: FirebaseFirestore.CollectionReference,
  hashes: readonly string[],
  erase: (refs: DocumentReference[]) => Promise<void>,
): Promise<void> {
  for (;;) {
    const page = await collection
      .where('subjects', 'array-contains-any', [...hashes])
      .select()
      .limit(pageSize)
      .get();
    if (page.empty) return;
    await erase(page.docs.map((doc) => doc.ref));
    if (page.size < pageSize) return;
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}
