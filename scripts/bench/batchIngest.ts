/**
 * `POST /v1/events/batch` beside the Pub/Sub client publishing alone, and the tracking
 * API's `POST /v1/batch` beside `/v1/events/batch`.
 */
import { randomUUID } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import { topics } from '../../infra/spec.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { eventMessage } from '../../functions/src/lib/eventMessages.ts';
import type { BenchStack } from './benchStack.ts';
import { headersFor, load } from './httpLoad.ts';
import type { BenchResult, TrackingBatchResult } from './results.ts';
import {
  batchBody,
  batchSeconds,
  batchSize,
  floorPublishBatchMs,
  log,
  rawPublishMessages,
  sampleEvent,
  warmupSeconds,
} from './settings.ts';
import { round } from './stats.ts';
import { measureTrackingBatch } from './trackingBatch.ts';

export type BatchIngest = {
  ingestBatch: BenchResult['ingestBatch'];
  trackingBatch: TrackingBatchResult;
};

export async function measureBatchIngest(bench: BenchStack): Promise<BatchIngest> {
  log('Batches: ingest against the raw Pub/Sub client…');
  const batchLoad = (duration: number) =>
    load({
      url: `${bench.ingestUrl}/batch`,
      method: 'POST',
      body: batchBody,
      headers: headersFor(bench.singleKey.key),
      connections: 4,
      duration,
    });
  await batchLoad(warmupSeconds);
  const batchRun = await batchLoad(batchSeconds);
  const batch = { ...batchRun, eventsPerSecond: round(batchRun.requestsPerSecond * batchSize, 0) };
  log('Tracking API batches: POST /v1/batch beside /v1/events/batch…');
  const trackingBatch = await measureTrackingBatch(load, {
    ingestUrl: bench.stack.info.ingestUrl,
    apiKey: bench.singleKey.key,
    batchSize,
    connections: 4,
    warmupSeconds: 3,
    seconds: 4,
    passes: 4,
  });
  await rawPublishRate(bench.pubsub, rawPublishMessages / 6);
  const rawPublishPerSecond = await rawPublishRate(bench.pubsub, rawPublishMessages);
  return {
    ingestBatch: {
      ...batch,
      rawPublishPerSecond: round(rawPublishPerSecond, 0),
      ratioToRawPublish: round(batch.eventsPerSecond / rawPublishPerSecond),
    },
    trackingBatch,
  };
}

/** Messages per second that the Pub/Sub client alone publishes to the emulator, batched as ingest does. */
async function rawPublishRate(pubsub: PubSub, count: number): Promise<number> {
  const topic = pubsub.topic(topics.events.name, {
    batching: {
      maxMessages: defaults.publishBatchMaxMessages,
      maxMilliseconds: floorPublishBatchMs,
    },
  });
  const now = new Date().toISOString();
  const messages = Array.from({ length: count }, () =>
    eventMessage({
      ...sampleEvent,
      eventId: randomUUID(),
      occurredAt: now,
      receivedAt: now,
      source: 'api',
      producer: 'raw',
    }),
  );
  const started = performance.now();
  await Promise.all(messages.map((message) => topic.publishMessage(message)));
  return count / ((performance.now() - started) / 1000);
}
