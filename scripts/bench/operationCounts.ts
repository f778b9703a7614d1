/**
 * Operations per event, counted through our store, publisher and warehouse interfaces in
 * an in-process pipeline, without and with an Idempotency-Key; the warehouse run there too.
 */
import { FirestoreIdempotencyStore } from '../../functions/src/ingest/idempotency.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { subscriptions, topics } from '../../infra/spec.ts';
import { counting, CountingPublisher } from '../../test/support/counting.ts';
import { startTestPipeline, type TestPipeline } from '../../test/support/pipeline.ts';
import { sleep } from '../lib/emulators.ts';
import type { OpsPerEvent } from './costModel.ts';
import type { BenchResult } from './results.ts';
import { batchBody, batchSize, connections, log, sampleEvent } from './settings.ts';
import { round } from './stats.ts';
import { TimedWarehouse } from './timedWarehouse.ts';
import { measureWarehouseLoad } from './warehouseLoad.ts';

const countedEvents = 1000;

export async function countOperations(emulatorHosts: {
  pubsub: string;
  firestore: string;
}): Promise<{
  ops: BenchResult['opsPerEvent'];
  /** The same counts for events in calls of 500, published as messages of many events. */
  batchOps: Omit<OpsPerEvent, 'warehouseBytes'>;
  warehouse: NonNullable<BenchResult['endToEnd']['warehouse']>;
}> {
  log('Operations per event, counted through the store and publisher interfaces…');
  let publisher!: CountingPublisher;
  let store!: RecordCountingStore;
  let events!: ReturnType<typeof counting<RecordCountingStore>>;
  let idempotency!: ReturnType<typeof counting<FirestoreIdempotencyStore>>;
  let warehouse!: TimedWarehouse;
  const invocations = new Map<string, number>();
  const pipeline = await startTestPipeline({
    label: 'bench-ops',
    emulatorHosts,
    // The events go as fast as ingest answers: far past a key's default limit.
    env: {
      RATE_LIMIT_PER_SECOND: process.env.RATE_LIMIT_PER_SECOND ?? '1000000',
      RATE_LIMIT_BURST: process.env.RATE_LIMIT_BURST ?? '1000000',
    },
    overrides: (base) => {
      publisher = new CountingPublisher(base.publisher);
      store = new RecordCountingStore(base.firestore);
      events = counting(store);
      idempotency = counting(new FirestoreIdempotencyStore(base.firestore));
      warehouse = new TimedWarehouse(base.warehouse);
      return { publisher, events: events.proxy, warehouse };
    },
    ingestOverrides: (deps) => ({ ...deps, idempotency: idempotency.proxy }),
    wrapEntry: (name, entry) => {
      const count = () => invocations.set(name, (invocations.get(name) ?? 0) + 1);
      return entry.signature === 'http'
        ? { signature: 'http', handler: (req, res) => (count(), entry.handler(req, res)) }
        : { signature: 'cloudevent', handler: (event) => (count(), entry.handler(event)) };
    },
  });
  try {
    const reset = () => {
      publisher.reset();
      store.created = 0;
      events.reset();
      idempotency.reset();
      invocations.clear();
    };
    const n = countedEvents;
    // The waits read through their own store, so these are the pipeline's reads alone.
    const counted = (eventCount: number): Omit<OpsPerEvent, 'warehouseBytes'> => ({
      firestoreReads: round((events.counts.get('get') ?? 0) / eventCount, 3),
      firestoreWrites: round(
        ((events.counts.get('put') ?? 0) + store.created + (idempotency.counts.get('claim') ?? 0)) /
          eventCount,
        3,
      ),
      firestoreTtlDeletes: 1,
      pubsubPublishes: round(
        [...publisher.byTopic.values()].reduce((a, b) => a + b, 0) / eventCount,
        3,
      ),
      pubsubDeliveries: round(
        [...publisher.byTopic.entries()].reduce(
          (sum, [topic, count]) =>
            sum + count * subscriptions().filter((s) => s.topic === topic).length,
          0,
        ) / eventCount,
        3,
      ),
      functionInvocations: round(
        [...invocations.values()].reduce((a, b) => a + b, 0) / eventCount,
        3,
      ),
    });
    reset();
    await sendBatchesAndWait(pipeline, batchCalls);
    const batchOps = counted(batchCalls * batchSize);
    reset();
    await sendAndWait(pipeline, n, false);
    const single = counted(n);
    const eventsPerMessage = round(
      (publisher.eventsByTopic.get(topics.events.name) ?? 0) /
        Math.max(1, publisher.byTopic.get(topics.events.name) ?? 0),
      1,
    );
    reset();
    await sendAndWait(pipeline, n, true);
    const keyedWrites =
      (events.counts.get('put') ?? 0) + store.created + (idempotency.counts.get('claim') ?? 0);
    const keyedReads = events.counts.get('get') ?? 0;

    const warehouseLoad = await measureWarehouseLoad(pipeline, warehouse);
    const ops: OpsPerEvent = {
      ...single,
      warehouseBytes: round(warehouse.bytes / warehouse.rows, 0),
    };
    return {
      batchOps,
      ops: {
        ...ops,
        eventsPerMessage,
        withIdempotencyKey: {
          firestoreWrites: round(keyedWrites / n, 3),
          firestoreReads: round(keyedReads / n, 3),
        },
        warehouseWriteCalls: round(warehouse.calls / warehouse.rows, 4),
        rowsPerWarehouseCall: round(warehouse.rows / warehouse.calls, 0),
      },
      warehouse: warehouseLoad,
    };
  } finally {
    await pipeline.close();
  }
}

/**
 * Sends n single events, each with its own Idempotency-Key or none, from as many
 * connections as the ingest scenarios use, each sending its next event once the last is
 * answered; then waits until all are PROCESSED.
 */
async function sendAndWait(pipeline: TestPipeline, n: number, withKey: boolean): Promise<void> {
  let next = 0;
  const ids: string[] = [];
  const sender = async () => {
    while (next < n) {
      const i = next++;
      const headers: Record<string, string> = {
        authorization: `Bearer ${pipeline.apiKey}`,
        'content-type': 'application/json',
      };
      if (withKey) headers['idempotency-key'] = `bench-${i}`;
      const response = await fetch(`${pipeline.urls.ingest}/v1/events`, {
        method: 'POST',
        headers,
        body: JSON.stringify(sampleEvent),
      });
      const answer = (await response.json()) as { eventId?: string };
      if (response.status !== 202 || !answer.eventId)
        throw new Error(`ingest answered ${response.status}: ${JSON.stringify(answer)}`);
      ids.push(answer.eventId);
    }
  };
  await Promise.all(Array.from({ length: connections }, sender));
  const store = new FirestoreEventStatusStore(pipeline.firestore);
  const deadline = Date.now() + 120_000;
  for (const id of ids) {
    while ((await store.get(id))?.record.status !== 'PROCESSED') {
      if (Date.now() > deadline) throw new Error('operation count run did not finish');
      await sleep(50);
    }
  }
}

/** The events of the batch path: calls of 500 through `/v1/events/batch`, each one message. */
const batchCalls = 4;

/** The store, counting the records its batched creates carry. */
class RecordCountingStore extends FirestoreEventStatusStore {
  created = 0;
  override createAll(records: Parameters<FirestoreEventStatusStore['createAll']>[0]) {
    this.created += records.length;
    return super.createAll(records);
  }
}

/** Sends `calls` calls of 500 events and waits until every event is PROCESSED. */
async function sendBatchesAndWait(pipeline: TestPipeline, calls: number): Promise<void> {
  const ids = (
    await Promise.all(
      Array.from({ length: calls }, async () => {
        const response = await fetch(`${pipeline.urls.ingest}/v1/events/batch`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${pipeline.apiKey}`,
            'content-type': 'application/json',
          },
          body: batchBody,
        });
        const body = (await response.json()) as { results: { eventId: string }[] };
        return body.results.map((r) => r.eventId);
      }),
    )
  ).flat();
  const store = new FirestoreEventStatusStore(pipeline.firestore);
  const deadline = Date.now() + 120_000;
  for (const id of ids) {
    while ((await store.get(id))?.record.status !== 'PROCESSED') {
      if (Date.now() > deadline) throw new Error('batch operation count run did not finish');
      await sleep(50);
    }
  }
}
