/**
 * The path of events that come many to a call: calls of 500 through `/v1/events/batch`,
 * published as messages of many events, each settled by one processEvent invocation.
 * Run on a stack of its own with the default message limits, beside its floor: the
 * Firestore emulator taking the same status documents in the same batched calls with
 * nothing else running.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { processedRecord } from '../../functions/src/process/eventTransitions.ts';
import { mapLimit } from '../../functions/src/lib/mapLimit.ts';
import { LocalStack } from '../lib/localStack.ts';
import type { BenchStack, Cleanup } from './benchStack.ts';
import { cpuPerEvent, endToEndCpuMeter, waitForProcessed, type EndToEndCpu } from './endToEnd.ts';
import { headersFor, load } from './httpLoad.ts';
import type { BenchResult } from './results.ts';
import {
  batchBody,
  batchSize,
  batchPathEvents,
  batchPathWarmupEvents,
  log,
  sampleEvent,
  sustainedBatchRate,
  sustainedSeconds,
} from './settings.ts';
import { round } from './stats.ts';

export type BatchPath = {
  endToEndBatch: Omit<BenchResult['endToEndBatch'], 'ratioToFloor' | 'cpu' | 'floor'> & {
    cpu: EndToEndCpu;
  };
  sustainedBatch: BenchResult['sustainedBatch'];
  floor: BenchResult['endToEndBatch']['floor'];
};

/** Status records of `count` fresh events, as processEvent claims them. */
function records(count: number) {
  const now = new Date();
  return Array.from({ length: count }, () =>
    processedRecord(
      undefined,
      {
        ...sampleEvent,
        eventId: randomUUID(),
        occurredAt: now.toISOString(),
        receivedAt: now.toISOString(),
        source: 'api',
        producer: 'key_floor',
      },
      { now, ttlDays: 30 },
    ),
  );
}

/** Status documents the emulator takes in flight at once: the emulator pushes two messages at a time. */
const floorConcurrency = 2;

export async function measureBatchPath(bench: BenchStack, cleanup: Cleanup): Promise<BatchPath> {
  // The stack of the one-event-per-message scenarios is done: its cores go to this one.
  await bench.stack.stop();
  log('Batch path: a stack with the default message limits…');
  const stateDir = await mkdtemp(join(tmpdir(), 'tributary-bench-batch-'));
  cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
  const stack = await LocalStack.start({
    projectId: `${bench.projectId}-batch`,
    stateDir,
    pubsubEmulatorHost: bench.emulatorHosts.pubsub,
    firestoreEmulatorHost: bench.emulatorHosts.firestore,
    functionsBasePort: 0,
    retryProfile: 'local',
    logLevel: 'warn',
    log: () => undefined,
  });
  cleanup.push(() => stack.stop());
  const url = `${stack.info.ingestUrl}/v1/events/batch`;
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: stack.info.projectId,
      FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
    }),
  );
  cleanup.push(() => firestore.terminate());
  const keys = new FirestoreApiKeyStore(firestore);

  const send = async (name: string, events: number, options: { rate?: number } = {}) => {
    const key = await createApiKey(keys, { name });
    const run = await load({
      url,
      method: 'POST',
      body: batchBody,
      headers: headersFor(key.key),
      connections: options.rate ? 2 : 4,
      ...(options.rate
        ? { duration: sustainedSeconds, overallRate: options.rate / batchSize }
        : { amount: events / batchSize }),
    });
    return { key, sent: run.requests * batchSize };
  };

  const warmup = await send('bench-batch-warmup', batchPathWarmupEvents);
  await waitForProcessed(firestore, warmup.key.keyId, warmup.sent, 300_000);
  log(`Batch path end to end: ${batchPathEvents} events in calls of ${batchSize}…`);
  const meter = endToEndCpuMeter({ stack, emulatorGroups: bench.emulatorGroups });
  const measured = await send('bench-batch', batchPathEvents);
  const latencies = await waitForProcessed(firestore, measured.key.keyId, measured.sent, 600_000);
  const cpu = cpuPerEvent(meter.stop(), measured.sent);

  log(`Batch path sustained: ${sustainedBatchRate} events a second for ${sustainedSeconds} s…`);
  const sustained = await send('bench-batch-sustained', 0, { rate: sustainedBatchRate });
  const sustainedLatencies = await waitForProcessed(
    firestore,
    sustained.key.keyId,
    sustained.sent,
    600_000,
  );
  await stack.stop();

  log('Batch path floor: the same status documents in the same batched calls, alone…');
  const floor = await measureFloor(bench, measured.sent);
  return {
    endToEndBatch: {
      events: measured.sent,
      eventsPerSecond: latencies.eventsPerSecond,
      p50Ms: latencies.p50Ms,
      p99Ms: latencies.p99Ms,
      cpu,
    },
    sustainedBatch: {
      targetPerSecond: sustainedBatchRate,
      seconds: sustainedSeconds,
      events: sustained.sent,
      p50Ms: sustainedLatencies.p50Ms,
      p99Ms: sustainedLatencies.p99Ms,
    },
    floor,
  };
}

/**
 * The Firestore emulator creating the status documents of `events` events, a message's
 * worth per call through the store processEvent uses, two calls in flight as the
 * emulator pushes, in a project of its own.
 */
async function measureFloor(
  bench: BenchStack,
  events: number,
): Promise<BenchResult['endToEndBatch']['floor']> {
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: `${bench.projectId}-floor`,
      FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
    }),
  );
  try {
    const store = new FirestoreEventStatusStore(firestore);
    const perCall = defaults.messageMaxEvents;
    const calls = (count: number) =>
      Array.from({ length: Math.ceil(count / perCall) }, () => records(perCall));
    // Warm, as the stack was; the records are built before the clock starts.
    await mapLimit(calls(batchPathWarmupEvents), floorConcurrency, (batch) =>
      store.createAll(batch),
    );
    const measured = calls(events);
    const started = performance.now();
    await mapLimit(measured, floorConcurrency, (batch) => store.createAll(batch));
    const seconds = (performance.now() - started) / 1000;
    return { documentsPerSecond: round(events / seconds, 0), documentsPerCall: perCall };
  } finally {
    await firestore.terminate();
  }
}
