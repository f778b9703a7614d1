import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { eventMessages } from '../../functions/src/lib/eventMessages.ts';
import { WarehouseMetrics } from '../../functions/src/metrics/warehouseMetrics.ts';
import type { EventRecord } from '../../functions/src/process/eventRecord.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { failedRecord, processedRecord } from '../../functions/src/process/eventTransitions.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { FaultyEventStatusStore, FaultyPublisher } from '../support/injectedFaults.ts';
import {
  eventRecord,
  eventually,
  postJson,
  startTestPipeline,
  type TestPipeline,
} from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';

/**
 * Messages of many events through processEvent and recordDeadLetter, with failures
 * injected per event through our Publisher and EventStatusStore interfaces around the
 * real emulator clients: each event keeps its own status, attempts and history.
 */
const processed = topics.eventsProcessed.name;
const run = randomBytes(4).toString('hex');
const limits = { maxEvents: 500, maxBytes: 4_000_000 };

function envelopes(count: number, eventType = `batch.r${run}`): EventEnvelope[] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    eventId: randomUUID(),
    eventType,
    payload: { i },
    occurredAt: now,
    receivedAt: now,
    source: 'api',
    producer: 'key_test',
  }));
}

const processedOnce = (record: EventRecord) => record.status === 'PROCESSED';

describe('processEvent and recordDeadLetter with messages of many events', () => {
  let pipeline: TestPipeline;
  let publisher: FaultyPublisher;
  let store: FaultyEventStatusStore;
  let receiver: TestReceiver;
  const invocations = new Map<string, number>();
  const hookedType = `hooked.r${run}`;

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'process-batches',
      env: { WEBHOOK_ENDPOINT_CACHE_SECONDS: '1' },
      overrides: (base) => {
        publisher = new FaultyPublisher(base.publisher);
        store = new FaultyEventStatusStore(new FirestoreEventStatusStore(base.firestore));
        return { publisher, events: store };
      },
      wrapEntry: (name, entry) =>
        entry.signature === 'http'
          ? entry
          : {
              signature: 'cloudevent',
              handler: (event) => {
                invocations.set(name, (invocations.get(name) ?? 0) + 1);
                return entry.handler(event);
              },
            },
    });
    receiver = await TestReceiver.start();
    const created = await postJson(
      `${pipeline.urls.api}/v1/webhook-endpoints`,
      { url: receiver.url('/hook'), eventTypes: [hookedType] },
      { authorization: `Bearer ${pipeline.adminToken}` },
    );
    if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}`);
    await sleep(1200);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  async function deliver(
    events: EventEnvelope[],
    topic: string = topics.events.name,
  ): Promise<void> {
    const packed = eventMessages(events, limits);
    expect(packed).toHaveLength(1);
    await pipeline.pubsub.topic(topic).publishMessage(packed[0]!.message);
  }

  async function records(events: EventEnvelope[]): Promise<(EventRecord | undefined)[]> {
    return Promise.all(events.map((event) => eventRecord(pipeline, event.eventId)));
  }

  async function settled(
    events: EventEnvelope[],
    done: (record: EventRecord) => boolean,
    timeoutMs = 30_000,
  ): Promise<EventRecord[]> {
    return eventually(
      async () => {
        const found = await records(events);
        return found.every((record) => record && done(record))
          ? (found as EventRecord[])
          : undefined;
      },
      { timeoutMs, what: `${events.length} events to settle` },
    );
  }

  it('a first delivery: one invocation, one batched write per event and no read, one events-processed message', async () => {
    const events = envelopes(50);
    const before = invocations.get('processEvent') ?? 0;
    await deliver(events);
    const done = await settled(events, processedOnce);
    expect(done.map((r) => r.attempts)).toEqual(events.map(() => 1));
    await eventually(async () =>
      events.every((e) => publisher.acknowledged(processed, e.eventId) === 1) ? true : undefined,
    );
    expect((invocations.get('processEvent') ?? 0) - before).toBe(1);
    for (const event of events) {
      expect(store.calls(event.eventId, 'put')).toBe(1);
      expect(store.calls(event.eventId, 'get')).toBe(0);
    }
  });

  it('a poison event inside a batch: that event alone DEAD_LETTER, at once; the others PROCESSED', async () => {
    const events = envelopes(9);
    const poisonId = randomUUID();
    const message = eventMessages(events, limits)[0]!.message;
    const data = JSON.parse(message.data.toString()) as { events: unknown[] };
    data.events.splice(4, 0, { eventId: poisonId, eventType: 'Not A Type', payload: [] });
    await pipeline.pubsub.topic(topics.events.name).publishMessage({
      data: Buffer.from(JSON.stringify(data)),
      attributes: { events: '10' },
    });
    await settled(events, processedOnce);
    const poison = await eventually(async () => {
      const record = await eventRecord(pipeline, poisonId);
      return record?.status === 'DEAD_LETTER' ? record : undefined;
    });
    expect(poison).toMatchObject({ attempts: 1, lastError: { code: 'invalid_message' } });
    expect(poison.envelope).toContain('Not A Type');
  });

  it('a poison event whose dead-letter record cannot be read at first: the message comes again and each event is settled once', async () => {
    const events = envelopes(6);
    const poisonId = randomUUID();
    store.plan.add(poisonId, 'get', { kind: 'refuse' });
    const message = eventMessages(events, limits)[0]!.message;
    const data = JSON.parse(message.data.toString()) as { events: unknown[] };
    data.events.push({ eventId: poisonId, eventType: 'Not A Type', payload: [] });
    await pipeline.pubsub.topic(topics.events.name).publishMessage({
      data: Buffer.from(JSON.stringify(data)),
      attributes: { events: '7' },
    });
    const done = await settled(events, processedOnce);
    expect(done.map((r) => r.attempts)).toEqual(events.map(() => 1));
    const poison = await eventually(async () => {
      const record = await eventRecord(pipeline, poisonId);
      return record?.status === 'DEAD_LETTER' ? record : undefined;
    });
    expect(poison).toMatchObject({ attempts: 1, lastError: { code: 'invalid_message' } });
    // The first delivery failed on the refused read and was delivered again.
    expect(store.calls(poisonId, 'get')).toBeGreaterThanOrEqual(2);
  });

  it('one event whose claim fails: the message comes again, the settled events are skipped, each counted once', async () => {
    const events = envelopes(10, `claimfail.r${run}`);
    store.plan.add(events[3]!.eventId, 'put', { kind: 'refuse' });
    await deliver(events);
    const done = await settled(events, processedOnce);
    expect(done.map((r) => r.attempts)).toEqual(events.map(() => 1));
    // The redelivery published the fan-out again; the warehouse counts each event once.
    await eventually(async () =>
      publisher.acknowledged(processed, events[0]!.eventId) === 2 ? true : undefined,
    );
    const metrics = new WarehouseMetrics(pipeline.runtime.warehouse, { topPaths: 5 });
    const today = new Date().toISOString().slice(0, 10);
    await eventually(
      async () => {
        await runLoader(loaderDeps(pipeline.runtime));
        const counts = await metrics.dailyCounts({ from: today, to: today });
        return counts.find((c) => c.eventType === `claimfail.r${run}`)?.count === 10
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the warehouse to count 10' },
    );
  });

  it('the fan-out fails for the whole message: every event FAILED once, then PROCESSED on redelivery', async () => {
    const events = envelopes(8);
    publisher.plan.add(events[0]!.eventId, processed, { kind: 'refuse' });
    await deliver(events);
    const done = await settled(events, (r) => r.status === 'PROCESSED' && r.history.length > 0);
    for (const record of done) {
      expect(record.attempts).toBe(2);
      expect(record.history.map((h) => h.status)).toEqual(['FAILED', 'PROCESSED']);
      expect(record.lastError?.code).toBe('publish_failed');
      expect(record.envelope).toBeNull();
    }
  });

  it('a half-settled message redelivered: a crash after the batched claims, nothing lost, nothing twice', async () => {
    const events = envelopes(12, hookedType);
    store.plan.add(events[0]!.eventId, 'put', { kind: 'crashAfter', delayMs: 1500 });
    await deliver(events);
    const done = await settled(events, processedOnce);
    expect(done.map((r) => r.attempts)).toEqual(events.map(() => 1));
    await eventually(async () =>
      events.every((e) => publisher.acknowledged(processed, e.eventId) === 2) ? true : undefined,
    );
    // Each event's delivery reached the receiver once, though its message came twice.
    await eventually(async () =>
      events.every((e) => receiver.received('/hook', e.eventId).length > 0) ? true : undefined,
    );
    await sleep(1500);
    for (const event of events) expect(receiver.received('/hook', event.eventId)).toHaveLength(1);
  });

  it('every attempt failing: recordDeadLetter marks each event not yet settled DEAD_LETTER, body kept', async () => {
    const events = envelopes(6);
    const [settledFirst, ...rest] = events;
    // One event of the message was settled before: processed after a failed attempt, so
    // its record says its fan-out was confirmed.
    const context = { now: new Date(), ttlDays: 1 };
    const failure = { code: 'publish_failed', message: 'down' };
    const confirmed = processedRecord(
      failedRecord(undefined, settledFirst!, failure, context),
      settledFirst!,
      context,
    );
    await new FirestoreEventStatusStore(pipeline.firestore).put(confirmed, undefined);
    for (let attempt = 0; attempt < 5; attempt += 1)
      publisher.plan.add(rest[0]!.eventId, processed, { kind: 'refuse' });
    await deliver(events);
    const dead = await settled(rest, (r) => r.status === 'DEAD_LETTER', 60_000);
    for (const [index, record] of dead.entries()) {
      expect(record.attempts).toBe(5);
      expect(JSON.parse(record.envelope!)).toEqual(rest[index]);
    }
    expect((await eventRecord(pipeline, settledFirst!.eventId))?.status).toBe('PROCESSED');
  });

  it('a dead-lettered message of many events, sent again: each event recorded once', async () => {
    const events = envelopes(4);
    await deliver(events, topics.eventsDeadLetter.name);
    const dead = await settled(events, (r) => r.status === 'DEAD_LETTER');
    await deliver(events, topics.eventsDeadLetter.name);
    await sleep(1500);
    const again = await records(events);
    expect(again.map((r) => r?.updatedAt.getTime())).toEqual(
      dead.map((r) => r.updatedAt.getTime()),
    );
  });
});
