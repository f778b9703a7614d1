/**
 * Operations per event, counted through our store, publisher and warehouse interfaces in
 * an in-process pipeline, without and with an Idempotency-Key; the warehouse run there too.
 */
import { FirestoreIdempotencyStore } from '../../functions/src/ingest/idempotency.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { subscriptions } from '../../infra/spec.ts';
import { counting, CountingPublisher } from '../../test/support/counting.ts';
import { startTestPipeline, type TestPipeline } from '../../test/support/pipeline.ts';
import { sleep } from '../lib/emulators.ts';
import type { OpsPerEvent } from './costModel.ts';
import type { BenchResult } from './results.ts';
import { log, sampleEvent } from './settings.ts';
import { round } from './stats.ts';
import { TimedWarehouse } from './timedWarehouse.ts';
import { measureWarehouseLoad } from './warehouseLoad.ts';

const countedEvents = 200;

export async function countOperations(emulatorHosts: {
  pubsub: string;
  firestore: string;
}): Promise<{
  ops: BenchResult['opsPerEvent'];
  warehouse: NonNullable<BenchResult['endToEnd']['warehouse']>;
}> {
  log('Operations per event, counted through the store and publisher interfaces…');
  let publisher!: CountingPublisher;
  let events!: ReturnType<typeof counting<FirestoreEventStatusStore>>;
  let idempotency!: ReturnType<typeof counting<FirestoreIdempotencyStore>>;
  let warehouse!: TimedWarehouse;
  const invocations = new Map<string, number>();
  const pipeline = await startTestPipeline({
    label: 'bench-ops',
    emulatorHosts,
    overrides: (base) => {
      publisher = new CountingPublisher(base.publisher);
      events = counting(new FirestoreEventStatusStore(base.firestore));
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
      publisher.byTopic.clear();
      events.reset();
      idempotency.reset();
      invocations.clear();
    };
    const n = countedEvents;
    reset();
    await sendAndWait(pipeline, n, false);
    // The waits read through their own store, so these are the pipeline's reads alone.
    const reads = events.counts.get('get') ?? 0;
    const writes = (events.counts.get('put') ?? 0) + (idempotency.counts.get('claim') ?? 0);
    const publishes = [...publisher.byTopic.values()].reduce((a, b) => a + b, 0);
    const deliveries = [...publisher.byTopic.entries()].reduce(
      (sum, [topic, count]) =>
        sum + count * subscriptions().filter((s) => s.topic === topic).length,
      0,
    );
    const invocationCount = [...invocations.values()].reduce((a, b) => a + b, 0);
    reset();
    await sendAndWait(pipeline, n, true);
    const keyedWrites = (events.counts.get('put') ?? 0) + (idempotency.counts.get('claim') ?? 0);
    const keyedReads = events.counts.get('get') ?? 0;

    const warehouseLoad = await measureWarehouseLoad(pipeline, warehouse);
    const ops: OpsPerEvent = {
      firestoreReads: round(reads / n, 3),
      firestoreWrites: round(writes / n, 3),
      firestoreTtlDeletes: 1,
      pubsubPublishes: round(publishes / n, 3),
      pubsubDeliveries: round(deliveries / n, 3),
      functionInvocations: round(invocationCount / n, 3),
      warehouseBytes: round(warehouse.bytes / warehouse.rows, 0),
    };
    return {
      ops: {
        ...ops,
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

/** Sends n single events, each with its own Idempotency-Key or none, and waits until all are PROCESSED. */
async function sendAndWait(pipeline: TestPipeline, n: number, withKey: boolean): Promise<void> {
  const ids = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
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
      return ((await response.json()) as { eventId: string }).eventId;
    }),
  );
  const store = new FirestoreEventStatusStore(pipeline.firestore);
  const deadline = Date.now() + 60_000;
  for (const id of ids) {
    while ((await store.get(id))?.record.status !== 'PROCESSED') {
      if (Date.now() > deadline) throw new Error('operation count run did not finish');
      await sleep(50);
    }
  }
}
