import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../infra/spec.ts';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { WarehouseMetrics } from '../../functions/src/metrics/warehouseMetrics.ts';
import { deadLetterRecord, processedRecord } from '../../functions/src/process/eventTransitions.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import { FaultyEventStatusStore, FaultyPublisher } from '../support/injectedFaults.ts';
import {
  eventRecord,
  eventually,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';
import { TestReceiver } from '../support/receiver.ts';
import { loaderDeps } from '../../functions/src/entries/warehouse.ts';

/**
 * processEvent's failure cases (docs/decisions/processing.md), each injected at its point through
 * our Publisher and EventStatusStore interfaces around the real emulator clients. An
 * injected crash fails the push, so the emulator redelivers as after a real crash.
 */
const processed = topics.eventsProcessed.name;
// Event types of this run only, so warehouse counts see nothing else.
const run = randomBytes(4).toString('hex');
const repeatedType = `repeat.r${run}`;
const hookedType = `hooked.r${run}`;

function envelope(eventType = `plain.r${run}`): EventEnvelope {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType,
    payload: { n: 1 },
    occurredAt: now,
    receivedAt: now,
    source: 'api',
    producer: 'key_test',
  };
}

describe('processEvent with a failure injected at each point, on the emulators', () => {
  let pipeline: TestPipeline;
  let publisher: FaultyPublisher;
  let store: FaultyEventStatusStore;
  let receiver: TestReceiver;
  const repeated: EventEnvelope[] = [];

  beforeAll(async () => {
    pipeline = await startTestPipeline({
      label: 'process-faults',
      env: { WEBHOOK_ENDPOINT_CACHE_SECONDS: '1' },
      overrides: (base) => {
        publisher = new FaultyPublisher(base.publisher);
        store = new FaultyEventStatusStore(new FirestoreEventStatusStore(base.firestore));
        return { publisher, events: store };
      },
    });
    receiver = await TestReceiver.start();
    const created = await postJson(
      `${pipeline.urls.api}/v1/webhook-endpoints`,
      { url: receiver.url('/hook'), eventTypes: [hookedType] },
      { authorization: `Bearer ${pipeline.adminToken}` },
    );
    if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}`);
    // Past the endpoint cache, so processEvent sees the endpoint.
    await sleep(1200);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.close();
  });

  async function deliver(event: EventEnvelope): Promise<void> {
    await pipeline.pubsub.topic(topics.events.name).publishMessage(eventMessage(event));
  }

  it('a first delivery: one write, no read, one events-processed publish', async () => {
    const event = envelope();
    await deliver(event);
    const record = await waitForStatus(pipeline, event.eventId, 'PROCESSED');
    expect(record).toMatchObject({ attempts: 1, history: [] });
    // The claim can land before the publish beside it is acknowledged.
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) > 0 ? true : undefined),
      { what: 'the fan-out' },
    );
    await sleep(300);
    expect(store.calls(event.eventId, 'put')).toBe(1);
    expect(store.calls(event.eventId, 'get')).toBe(0);
    expect(publisher.acknowledged(processed, event.eventId)).toBe(1);
  });

  it('claim written, publish failed: back to FAILED, then PROCESSED on redelivery', async () => {
    const event = envelope();
    publisher.plan.add(event.eventId, processed, { kind: 'refuse' });
    await deliver(event);
    // The claim shows PROCESSED until the revert: wait for the settled record.
    const record = await eventually(
      async () => {
        const current = await eventRecord(pipeline, event.eventId);
        return current?.status === 'PROCESSED' && current.history.length > 0 ? current : undefined;
      },
      { what: 'PROCESSED after the failed attempt' },
    );
    expect(record.attempts).toBe(2);
    expect(record.history.map((h) => h.status)).toEqual(['FAILED', 'PROCESSED']);
    expect(record.lastError?.code).toBe('publish_failed');
    expect(record.envelope).toBeNull();
    expect(publisher.acknowledged(processed, event.eventId)).toBe(1);
  });

  it('claim written, crash before the publish and before the revert: the redelivery publishes', async () => {
    const event = envelope();
    publisher.plan.add(event.eventId, processed, { kind: 'refuse' });
    store.plan.add(event.eventId, 'get', { kind: 'refuse' });
    await deliver(event);
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) > 0 ? true : undefined),
      { what: 'the fan-out of the redelivery' },
    );
    await sleep(500);
    expect(store.calls(event.eventId, 'get')).toBeGreaterThanOrEqual(2);
    expect(publisher.acknowledged(processed, event.eventId)).toBe(1);
    expect(await eventRecord(pipeline, event.eventId)).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
    });
  });

  it('publish failed and the revert to FAILED lost: the redelivery publishes', async () => {
    const event = envelope();
    publisher.plan.add(event.eventId, processed, { kind: 'refuse' });
    store.plan.add(event.eventId, 'put', { kind: 'pass' }, { kind: 'refuse' });
    await deliver(event);
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) > 0 ? true : undefined),
      { what: 'the fan-out of the redelivery' },
    );
    await sleep(500);
    expect(store.calls(event.eventId, 'put')).toBeGreaterThanOrEqual(3);
    expect(publisher.acknowledged(processed, event.eventId)).toBe(1);
    expect((await eventRecord(pipeline, event.eventId))?.status).toBe('PROCESSED');
  });

  it('publish acknowledged, claim failed: the redelivery claims and publishes again', async () => {
    const event = envelope(repeatedType);
    repeated.push(event);
    store.plan.add(event.eventId, 'put', { kind: 'refuse' });
    await deliver(event);
    const record = await waitForStatus(pipeline, event.eventId, 'PROCESSED');
    expect(record).toMatchObject({ attempts: 1, history: [] });
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) === 2 ? true : undefined),
      { what: 'the repeated fan-out' },
    );
  });

  it('claim and publish both done, crash before the acknowledgement: the redelivery publishes again', async () => {
    const event = envelope(repeatedType);
    repeated.push(event);
    store.plan.add(event.eventId, 'put', { kind: 'crashAfter' });
    await deliver(event);
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) === 2 ? true : undefined),
      { what: 'the repeated fan-out' },
    );
    await sleep(500);
    expect(await eventRecord(pipeline, event.eventId)).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
      history: [],
    });
    expect(publisher.acknowledged(processed, event.eventId)).toBe(2);
  });

  it('two deliveries of one message: one claim wins, both publish, one attempt recorded', async () => {
    const event = envelope(repeatedType);
    repeated.push(event);
    await Promise.all([deliver(event), deliver(event)]);
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) === 2 ? true : undefined),
      { what: 'both fan-outs' },
    );
    await sleep(500);
    expect(store.calls(event.eventId, 'put')).toBe(2);
    expect(await eventRecord(pipeline, event.eventId)).toMatchObject({
      status: 'PROCESSED',
      attempts: 1,
      history: [],
    });
  });

  it('a delivery that finds DEAD_LETTER and publishes records PROCESSED', async () => {
    const event = envelope();
    const context = { now: new Date(), ttlDays: 1 };
    const dead = deadLetterRecord(
      event.eventId,
      undefined,
      event,
      { error: { code: 'attempts_exhausted', message: 'gave up' }, countsAsAttempt: false },
      context,
    );
    expect(await new FirestoreEventStatusStore(pipeline.firestore).put(dead, undefined)).toBe(
      'written',
    );
    await deliver(event);
    const record = await waitForStatus(pipeline, event.eventId, 'PROCESSED');
    expect(record.history.map((h) => h.status)).toEqual(['DEAD_LETTER', 'PROCESSED']);
    expect(publisher.acknowledged(processed, event.eventId)).toBe(1);
  });

  it('the warehouse counts a repeated events-processed message once', async () => {
    expect(repeated).toHaveLength(3);
    const copies = repeated.map((e) => publisher.acknowledged(processed, e.eventId));
    expect(copies).toEqual([2, 2, 2]);
    const loader = loaderDeps(pipeline.runtime);
    const metrics = new WarehouseMetrics(pipeline.runtime.warehouse, { topPaths: 5 });
    const today = new Date().toISOString().slice(0, 10);
    const counted = async () =>
      (await metrics.dailyCounts({ from: today, to: today })).find(
        (c) => c.eventType === repeatedType,
      )?.count;
    // Load until all four copies were taken (the counts stop changing), then count.
    const report = await eventually(
      async () => {
        const loaded = await runLoader(loader);
        return loaded.messages === 0 && (await counted()) !== undefined ? loaded : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the loader to drain' },
    );
    expect(report.stoppedBy).toBe('drained');
    expect(await counted()).toBe(repeated.length);
  });

  it('a repeated fan-out reaches a webhook receiver once', async () => {
    const event = envelope(hookedType);
    // The crash comes after the first delivery was sent, as when an acknowledgement is lost.
    store.plan.add(event.eventId, 'put', { kind: 'crashAfter', delayMs: 1500 });
    await deliver(event);
    await eventually(
      async () =>
        publisher.acknowledged(topics.deliveries.name, event.eventId) === 2 ? true : undefined,
      { what: 'the repeated delivery message' },
    );
    await sleep(1500);
    expect(receiver.received('/hook', event.eventId)).toHaveLength(1);
    const response = await fetch(`${pipeline.urls.api}/v1/events/${event.eventId}`, {
      headers: { authorization: `Bearer ${pipeline.adminToken}` },
    });
    const body = (await response.json()) as {
      deliveries: { status: string; attemptCount: number }[];
    };
    expect(body.deliveries).toMatchObject([{ status: 'delivered', attemptCount: 1 }]);
  });

  it('every publish failing: FAILED on each attempt, then DEAD_LETTER with the body kept', async () => {
    const event = envelope();
    for (let attempt = 0; attempt < 5; attempt += 1)
      publisher.plan.add(event.eventId, processed, { kind: 'refuse' });
    await deliver(event);
    const record = await waitForStatus(pipeline, event.eventId, 'DEAD_LETTER', 40_000);
    expect(record.attempts).toBe(5);
    expect(record.lastError?.code).toBe('publish_failed');
    expect(JSON.parse(record.envelope!)).toEqual(event);
    expect(publisher.acknowledged(processed, event.eventId)).toBe(0);
  });

  it('a dead-letter copy of an unconfirmed claim publishes the fan-out again', async () => {
    const event = envelope();
    const claim = processedRecord(undefined, event, { now: new Date(), ttlDays: 1 });
    expect(await new FirestoreEventStatusStore(pipeline.firestore).put(claim, undefined)).toBe(
      'written',
    );
    publisher.plan.add(event.eventId, processed, { kind: 'refuse' });
    await pipeline.pubsub.topic(topics.eventsDeadLetter.name).publishMessage(eventMessage(event));
    await eventually(
      async () => (publisher.acknowledged(processed, event.eventId) > 0 ? true : undefined),
      { what: 'the republished fan-out' },
    );
    expect(publisher.acknowledged(processed, event.eventId)).toBe(1);
    expect((await eventRecord(pipeline, event.eventId))?.status).toBe('PROCESSED');
  });
});
