import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { ApiKeyAuthenticator, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { FirestoreIdempotencyStore } from '../../functions/src/ingest/idempotency.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { FirestoreDeliveryStore } from '../../functions/src/webhooks/deliveryStore.ts';
import { FirestoreEndpointStore } from '../../functions/src/webhooks/endpointStore.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { TestReceiver } from '../support/receiver.ts';
import { counting, CountingPublisher, statusWrites } from '../support/counting.ts';
import {
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

describe('what one event costs, counted through our store and publisher interfaces', () => {
  let pipeline: TestPipeline;
  let publisher: CountingPublisher;
  let events: ReturnType<typeof counting<FirestoreEventStatusStore>>;
  let idempotency: ReturnType<typeof counting<FirestoreIdempotencyStore>>;
  let apiKeys: ReturnType<typeof counting<FirestoreApiKeyStore>>;
  let endpoints: ReturnType<typeof counting<FirestoreEndpointStore>>;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'opcount',
      overrides: (base) => {
        publisher = new CountingPublisher(base.publisher);
        events = counting(new FirestoreEventStatusStore(base.firestore));
        idempotency = counting(new FirestoreIdempotencyStore(base.firestore));
        apiKeys = counting(new FirestoreApiKeyStore(base.firestore));
        endpoints = counting(new FirestoreEndpointStore(base.firestore));
        return { publisher, events: events.proxy, webhookEndpoints: endpoints.proxy };
      },
      ingestOverrides: (deps) => ({
        ...deps,
        idempotency: idempotency.proxy,
        authenticator: new ApiKeyAuthenticator(apiKeys.proxy, {
          ttlSeconds: 60,
          negativeTtlSeconds: 5,
        }),
      }),
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  async function sendAndProcess(count: number, withIdempotencyKey: boolean): Promise<void> {
    const ids = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const headers: Record<string, string> = { authorization: `Bearer ${pipeline.apiKey}` };
        if (withIdempotencyKey) headers['idempotency-key'] = `op-${i}`;
        const response = await postJson(
          `${pipeline.urls.ingest}/v1/events`,
          { eventType: 'page.viewed', payload: { i } },
          headers,
        );
        expect(response.status).toBe(202);
        return ((await response.json()) as { eventId: string }).eventId;
      }),
    );
    await Promise.all(ids.map((id) => waitForStatus(pipeline, id, 'PROCESSED')));
  }

  function resetCounts(): void {
    publisher.reset();
    events.reset();
    idempotency.reset();
    apiKeys.reset();
    endpoints.reset();
  }

  it('without an Idempotency-Key: one Firestore write per event; events that arrive together share messages', async () => {
    const n = 25;
    resetCounts();
    await sendAndProcess(n, false);
    expect(statusWrites(events) + (idempotency.counts.get('claim') ?? 0)).toBe(n);
    // Every event travels in exactly one message on each topic; requests that arrived
    // while a publish was in flight joined the next one.
    expect(publisher.eventsByTopic.get(topics.events.name)).toBe(n);
    expect(publisher.eventsByTopic.get(topics.eventsProcessed.name)).toBe(n);
    const messages = publisher.byTopic.get(topics.events.name)!;
    expect(messages).toBeLessThanOrEqual(n);
    expect(publisher.byTopic.get(topics.eventsProcessed.name)).toBe(messages);
    // One processEvent invocation per message, each claiming without reading first.
    expect(events.counts.get('createAll')).toBe(messages);
    expect(events.counts.get('get') ?? 0).toBe(0);
    // Keys are cached: at most one key lookup for the whole run.
    expect(apiKeys.counts.get('findByHash') ?? 0).toBeLessThanOrEqual(1);
    // No webhook endpoint wants these events: no delivery, and the endpoint list is
    // cached, so at most one read of it for the whole run.
    expect(publisher.byTopic.get(topics.deliveries.name) ?? 0).toBe(0);
    expect(endpoints.counts.get('listRoutes') ?? 0).toBeLessThanOrEqual(1);
    expect(endpoints.counts.get('get') ?? 0).toBe(0);
  });

  it('a lone request: one message of one event, published at once', async () => {
    resetCounts();
    await sendAndProcess(1, false);
    expect(publisher.byTopic.get(topics.events.name)).toBe(1);
    expect(publisher.eventsByTopic.get(topics.events.name)).toBe(1);
    expect(statusWrites(events)).toBe(1);
  });

  it('with an Idempotency-Key: two Firestore writes per event', async () => {
    const n = 25;
    resetCounts();
    await sendAndProcess(n, true);
    expect(statusWrites(events) + (idempotency.counts.get('claim') ?? 0)).toBe(2 * n);
    expect(publisher.eventsByTopic.get(topics.events.name)).toBe(n);
    expect(publisher.eventsByTopic.get(topics.eventsProcessed.name)).toBe(n);
  });
});

/** The event status store, counting the records its batched creates carry. */
class BatchCountingStore extends FirestoreEventStatusStore {
  created = 0;
  override createAll(records: Parameters<FirestoreEventStatusStore['createAll']>[0]) {
    this.created += records.length;
    return super.createAll(records);
  }
}

describe('what one event costs when it comes in a batch of many', () => {
  let pipeline: TestPipeline;
  let publisher: CountingPublisher;
  let store: BatchCountingStore;
  let events: ReturnType<typeof counting<BatchCountingStore>>;
  const invocations = new Map<string, number>();

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'opcount-batch',
      overrides: (base) => {
        publisher = new CountingPublisher(base.publisher);
        store = new BatchCountingStore(base.firestore);
        events = counting(store);
        return { publisher, events: events.proxy };
      },
      wrapEntry: (name, entry) => {
        const count = () => invocations.set(name, (invocations.get(name) ?? 0) + 1);
        return entry.signature === 'http'
          ? {
              signature: 'http',
              handler: (req, res) => {
                count();
                return entry.handler(req, res);
              },
            }
          : {
              signature: 'cloudevent',
              handler: (event) => {
                count();
                return entry.handler(event);
              },
            };
      },
    });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('two calls of 500 events: one message each, one batched write per event, no read, about 0.004 invocations per event', async () => {
    const calls = 2;
    const size = 500;
    invocations.clear();
    const ids = (
      await Promise.all(
        Array.from({ length: calls }, async (_, call) => {
          const response = await postJson(
            `${pipeline.urls.ingest}/v1/events/batch`,
            {
              events: Array.from({ length: size }, (__, i) => ({
                eventType: 'page.viewed',
                payload: { call, i },
              })),
            },
            { authorization: `Bearer ${pipeline.apiKey}` },
          );
          expect(response.status).toBe(202);
          const body = (await response.json()) as { results: { eventId: string }[] };
          return body.results.map((r) => r.eventId);
        }),
      )
    ).flat();
    await eventually(async () => (store.created === calls * size ? true : undefined), {
      timeoutMs: 60_000,
      what: 'every status record',
    });
    await Promise.all(ids.slice(0, 20).map((id) => waitForStatus(pipeline, id, 'PROCESSED')));
    const n = calls * size;
    expect(store.created / n).toBe(1);
    expect(events.counts.get('put') ?? 0).toBe(0);
    expect(events.counts.get('get') ?? 0).toBe(0);
    expect(publisher.byTopic.get(topics.events.name)).toBe(calls);
    expect(publisher.byTopic.get(topics.eventsProcessed.name)).toBe(calls);
    const perEvent = [...invocations.values()].reduce((sum, count) => sum + count, 0) / n;
    expect(invocations.get('processEvent')).toBe(calls);
    expect(perEvent).toBeLessThanOrEqual(0.02);
  });
});

describe('what a matching webhook endpoint adds to an event', () => {
  const cacheSeconds = 1;
  let pipeline: TestPipeline;
  let receiver: TestReceiver;
  let publisher: CountingPublisher;
  let events: ReturnType<typeof counting<FirestoreEventStatusStore>>;
  let endpoints: ReturnType<typeof counting<FirestoreEndpointStore>>;
  let deliveries: ReturnType<typeof counting<FirestoreDeliveryStore>>;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'opcount-webhook',
      env: { WEBHOOK_ENDPOINT_CACHE_SECONDS: String(cacheSeconds) },
      overrides: (base) => {
        publisher = new CountingPublisher(base.publisher);
        events = counting(new FirestoreEventStatusStore(base.firestore));
        endpoints = counting(new FirestoreEndpointStore(base.firestore));
        deliveries = counting(new FirestoreDeliveryStore(base.firestore));
        return {
          publisher,
          events: events.proxy,
          webhookEndpoints: endpoints.proxy,
          webhookDeliveries: deliveries.proxy,
        };
      },
    });
    receiver = await TestReceiver.start();
    const created = await postJson(
      `${pipeline.urls.api}/v1/webhook-endpoints`,
      { url: receiver.url('/hook'), eventTypes: ['page.*'] },
      { authorization: `Bearer ${pipeline.adminToken}` },
    );
    if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}`);
    await sleep(cacheSeconds * 1000 + 100);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  it('one publish to deliveries; delivering reads two documents and writes one', async () => {
    const n = 25;
    publisher.reset();
    events.reset();
    endpoints.reset();
    deliveries.reset();
    const ids = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const response = await postJson(
          `${pipeline.urls.ingest}/v1/events`,
          { eventType: 'page.viewed', payload: { i } },
          { authorization: `Bearer ${pipeline.apiKey}` },
        );
        return ((await response.json()) as { eventId: string }).eventId;
      }),
    );
    await Promise.all(ids.map((id) => waitForStatus(pipeline, id, 'PROCESSED')));
    await eventually(
      async () =>
        receiver.requests.length >= n && deliveries.counts.get('put') === n ? true : undefined,
      { what: 'every delivery to be recorded' },
    );
    // Processing is unchanged: one status write per event, one delivery each.
    expect(statusWrites(events)).toBe(n);
    expect(publisher.byTopic.get(topics.deliveries.name)).toBe(n);
    // Delivering: the delivery record and the endpoint read, the delivery record written.
    expect(deliveries.counts.get('get')).toBe(n);
    expect(endpoints.counts.get('get')).toBe(n);
    expect(deliveries.counts.get('put')).toBe(n);
    // A success after no failures writes neither the endpoint document nor a health shard.
    for (const write of ['update', 'putHealth', 'disable', 'foldHealth'])
      expect(endpoints.counts.get(write) ?? 0).toBe(0);
    expect(endpoints.counts.get('listHealth') ?? 0).toBe(0);
    expect(receiver.requests).toHaveLength(n);
  });
});
