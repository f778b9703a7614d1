import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxProcessingAttempts, topics } from '../../infra/spec.ts';
import type { Message } from '@google-cloud/pubsub';
import type { EventEnvelope, ProcessedEvent } from '../../functions/src/lib/eventEnvelope.ts';
import { decodeProcessedMessage, eventMessage } from '../../functions/src/lib/eventMessages.ts';
import { sleep } from '../../scripts/lib/emulators.ts';
import {
  drainSubscription,
  eventRecord,
  postJson,
  startTestPipeline,
  waitForStatus,
  type TestPipeline,
} from '../support/pipeline.ts';

/** Every copy of one event in the messages pulled from `events-processed`. */
function processedCopies(messages: readonly Message[], eventId: string): ProcessedEvent[] {
  return messages.flatMap((message) =>
    decodeProcessedMessage(message.data, message.attributes).flatMap((item) =>
      item.ok && item.value.eventId === eventId ? [item.value] : [],
    ),
  );
}

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType: 'page.viewed',
    payload: { title: 'Home' },
    occurredAt: now,
    receivedAt: now,
    source: 'api',
    producer: 'key_test',
    ...overrides,
  };
}

describe('the pipeline on the emulators', () => {
  let pipeline: TestPipeline;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'pipeline' });
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it('takes an accepted event to PROCESSED and onto events-processed', async () => {
    const response = await postJson(
      `${pipeline.urls.ingest}/v1/events`,
      { eventType: 'page.viewed', payload: { title: 'Home' }, siteId: 'site-1', path: '/' },
      { authorization: `Bearer ${pipeline.apiKey}` },
    );
    expect(response.status).toBe(202);
    const { eventId, receivedAt } = (await response.json()) as {
      eventId: string;
      receivedAt: string;
    };

    const record = await waitForStatus(pipeline, eventId, 'PROCESSED');
    expect(record).toMatchObject({
      eventType: 'page.viewed',
      source: 'api',
      attempts: 1,
      lastError: null,
    });
    expect(record.processedAt!.getTime()).toBeGreaterThanOrEqual(new Date(receivedAt).getTime());
    expect(record.envelope).toBeNull();

    const messages = await drainSubscription(pipeline.pubsub, 'events-processed-warehouse', {
      until: (received) => processedCopies(received, eventId).length > 0,
    });
    const processed = processedCopies(messages, eventId);
    expect(processed).toHaveLength(1);
    const body = processed[0]!;
    expect(body).toMatchObject({
      eventId,
      eventType: 'page.viewed',
      siteId: 'site-1',
      path: '/',
      payload: { title: 'Home' },
    });
    expect(typeof body.processedAt).toBe('string');
  });

  it('processes a message delivered twice once', async () => {
    const event = envelope();
    const topic = pipeline.pubsub.topic(topics.events.name);
    await topic.publishMessage(eventMessage(event));
    await waitForStatus(pipeline, event.eventId, 'PROCESSED');
    await topic.publishMessage(eventMessage(event));
    await sleep(1500);

    const record = await eventRecord(pipeline, event.eventId);
    expect(record?.status).toBe('PROCESSED');
    expect(record?.attempts).toBe(1);
    // The redelivery publishes the event again, unchanged but for processedAt; the
    // warehouse and webhooks count it once (processFailures.test.ts).
    const messages = await drainSubscription(pipeline.pubsub, 'events-processed-warehouse');
    const copies = processedCopies(messages, event.eventId);
    expect(copies).toHaveLength(2);
    for (const copy of copies) {
      const { processedAt: _, ...published } = copy;
      expect(published).toEqual(event);
    }
  });

  it('dead-letters an event that can never be processed at once, without retrying it', async () => {
    const eventId = randomUUID();
    const text = JSON.stringify({ eventId, not: 'an event' });
    await pipeline.pubsub
      .topic(topics.events.name)
      .publishMessage({ data: Buffer.from(`{"events":[${text}]}`), attributes: { events: '1' } });
    const record = await waitForStatus(pipeline, eventId, 'DEAD_LETTER');
    expect(record.lastError?.code).toBe('invalid_message');
    expect(record.envelope).toBe(text);
    await sleep(1500);
    expect((await eventRecord(pipeline, eventId))?.attempts).toBe(1);
  });

  it('reads a message of the earlier one-event format still in the topic', async () => {
    const event = envelope();
    await pipeline.pubsub.topic(topics.events.name).publishMessage({
      data: Buffer.from(JSON.stringify(event)),
      attributes: { eventId: event.eventId, eventType: event.eventType },
    });
    const record = await waitForStatus(pipeline, event.eventId, 'PROCESSED');
    expect(record.attempts).toBe(1);
  });

  it('dead-letters a message of the earlier format that can never be processed, by its attributed id', async () => {
    const eventId = randomUUID();
    await pipeline.pubsub
      .topic(topics.events.name)
      .publishMessage({ data: Buffer.from('{"not":"an event"}'), attributes: { eventId } });
    const record = await waitForStatus(pipeline, eventId, 'DEAD_LETTER');
    expect(record.lastError?.code).toBe('invalid_message');
    expect(record.envelope).toBe('{"not":"an event"}');
    await sleep(1500);
    expect((await eventRecord(pipeline, eventId))?.attempts).toBe(1);
  });
});

describe('an event whose processing keeps failing', () => {
  let pipeline: TestPipeline;

  beforeAll(async () => {
    pipeline = await startTestPipeline({ label: 'deadletter' });
    // Processing publishes to events-processed; without that topic every attempt fails.
    await pipeline.pubsub.topic(topics.eventsProcessed.name).delete();
  });
  afterAll(async () => {
    await pipeline.close();
  });

  it(`reaches DEAD_LETTER after exactly ${maxProcessingAttempts} attempts`, async () => {
    const event = envelope();
    await pipeline.pubsub.topic(topics.events.name).publishMessage(eventMessage(event));

    const failed = await waitForStatus(pipeline, event.eventId, 'FAILED');
    expect(failed.lastError?.code).toBe('publish_failed');
    expect(failed.envelope).not.toBeNull();

    const dead = await waitForStatus(pipeline, event.eventId, 'DEAD_LETTER', 45_000);
    expect(dead.attempts).toBe(maxProcessingAttempts);
    expect(dead.lastError?.code).toBe('publish_failed');
    expect(dead.deadLetteredAt).toBeInstanceOf(Date);
    expect(JSON.parse(dead.envelope!)).toMatchObject({
      eventId: event.eventId,
      payload: event.payload,
    });

    await sleep(2000);
    expect((await eventRecord(pipeline, event.eventId))?.attempts).toBe(maxProcessingAttempts);
  });
});
