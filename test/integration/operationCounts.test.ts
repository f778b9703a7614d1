import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import { ApiKeyAuthenticator, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { FirestoreIdempotencyStore } from '../../functions/src/ingest/idempotency.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { counting, CountingPublisher } from '../support/counting.ts';
import {
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

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'opcount',
      overrides: (base) => {
        publisher = new CountingPublisher(base.publisher);
        events = counting(new FirestoreEventStatusStore(base.firestore));
        idempotency = counting(new FirestoreIdempotencyStore(base.firestore));
        apiKeys = counting(new FirestoreApiKeyStore(base.firestore));
        return { publisher, events: events.proxy };
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
    publisher.byTopic.clear();
    events.reset();
    idempotency.reset();
    apiKeys.reset();
  }

  it('without an Idempotency-Key: one Firestore write and one publish per topic', async () => {
    const n = 25;
    resetCounts();
    await sendAndProcess(n, false);
    const writes = (events.counts.get('put') ?? 0) + (idempotency.counts.get('claim') ?? 0);
    expect(writes / n).toBe(1);
    expect(publisher.byTopic.get(topics.events.name)).toBe(n);
    expect(publisher.byTopic.get(topics.eventsProcessed.name)).toBe(n);
    expect(events.counts.get('get')).toBe(n);
    // Keys are cached: at most one key lookup for the whole run.
    expect(apiKeys.counts.get('findByHash') ?? 0).toBeLessThanOrEqual(1);
  });

  it('with an Idempotency-Key: two Firestore writes per event', async () => {
    const n = 25;
    resetCounts();
    await sendAndProcess(n, true);
    const writes = (events.counts.get('put') ?? 0) + (idempotency.counts.get('claim') ?? 0);
    expect(writes / n).toBe(2);
    expect(publisher.byTopic.get(topics.events.name)).toBe(n);
    expect(publisher.byTopic.get(topics.eventsProcessed.name)).toBe(n);
  });
});
