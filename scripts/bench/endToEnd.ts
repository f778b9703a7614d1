/**
 * Events through the whole pipeline, 202 → PROCESSED, one event per request: a burst for
 * the rate, then a fixed rate for the latency, twice. Requests that reach ingest together
 * share messages (group commit); each run says how many events a message carried.
 */
import type { Firestore } from '@google-cloud/firestore';
import { applyPubSubSpec, topicPushPath } from '../../infra/applyPubSub.ts';
import { createApiKey } from '../../functions/src/ingest/apiKeys.ts';
import { sleep } from '../lib/emulators.ts';
import type { BenchStack } from './benchStack.ts';
import { headersFor, load } from './httpLoad.ts';
import type { FunctionName } from '../../infra/spec.ts';
import { cpuMeter, processCpuSeconds, processGroupCpuSeconds } from './processCpu.ts';
import type { BenchResult } from './results.ts';
import {
  connections,
  endToEndEvents,
  endToEndWarmupEvents,
  log,
  singleBody,
  sustainedRate,
  sustainedSeconds,
} from './settings.ts';
import { nextPollMs } from './polling.ts';
import { percentile, round } from './stats.ts';

export type Latencies = { eventsPerSecond: number; p50Ms: number; p99Ms: number };

/** Events per push of processEvent over a run: the mean size of the messages ingest formed. */
export type MessageShape = { pushes: number; eventsPerMessage: number };

/** Where the machine's CPU went while the events went through, per event. */
export type EndToEndCpu = {
  /** Milliseconds of CPU per event, by process. */
  msPerEvent: Record<string, number>;
  /** Share of all cores busy over the run, whatever was running. */
  machineBusy: number;
  cores: number;
};

export async function measureEndToEnd(
  bench: BenchStack,
): Promise<{ latencies: Latencies; cpu: EndToEndCpu; messages: MessageShape }> {
  const { stack, projectId } = bench;
  log(`End to end: ${endToEndEvents} events, one per request, through the whole pipeline…`);
  await applyPubSubSpec(bench.pubsub, {
    profile: 'local',
    pushEndpoint: (fn, subscription) =>
      `${stack.info.functionUrls[fn]}${topicPushPath(projectId, subscription.topic)}`,
  });
  // A stack that has been running: the functions' and the emulators' JIT warm before the clock starts.
  const warmupKey = await createApiKey(bench.keys, { name: 'bench-e2e-warmup' });
  await sendSingles(bench, warmupKey.key, endToEndWarmupEvents);
  await waitForProcessed(bench.firestore, warmupKey.keyId, endToEndWarmupEvents, 300_000);
  const meter = endToEndCpuMeter(bench);
  const pushesBefore = stack.pushesTo('processEvent');
  await sendSingles(bench, bench.endToEndKey.key, endToEndEvents);
  const latencies = await waitForProcessed(
    bench.firestore,
    bench.endToEndKey.keyId,
    endToEndEvents,
    600_000,
  );
  const cpu = cpuPerEvent(meter.stop(), endToEndEvents);
  return {
    latencies,
    cpu,
    messages: messageShape(stack.pushesTo('processEvent') - pushesBefore, endToEndEvents),
  };
}

/** What `pushes` pushes of processEvent carried, for `events` events. */
function messageShape(pushes: number, events: number): MessageShape {
  return { pushes, eventsPerMessage: round(events / Math.max(1, pushes), 1) };
}

/** What a CPU meter read over a run, per event. */
export function cpuPerEvent(
  used: ReturnType<ReturnType<typeof endToEndCpuMeter>['stop']>,
  events: number,
): EndToEndCpu {
  const msPerEvent = Object.fromEntries(
    Object.entries(used.seconds).map(([name, seconds]) => [
      name,
      round((seconds * 1000) / events, 3),
    ]),
  );
  return {
    msPerEvent,
    machineBusy: round(used.machineSeconds / (used.wallSeconds * used.cores)),
    cores: used.cores,
  };
}

/** `events` events, one per request, from as many connections as the ingest scenarios use. */
function sendSingles(bench: BenchStack, key: string, events: number) {
  return load({
    url: bench.ingestUrl,
    method: 'POST',
    body: singleBody,
    headers: headersFor(key),
    connections,
    amount: events,
  });
}

/**
 * The processes an event passes through locally. The front doors (which hold pushes
 * while a function restarts), the local scheduler and this harness share the bench's
 * own process.
 */
export function endToEndCpuMeter(bench: Pick<BenchStack, 'stack' | 'emulatorGroups'>) {
  const functionCpu = (name: FunctionName) => () =>
    processCpuSeconds(bench.stack.functionProcess(name)?.pid);
  return cpuMeter({
    ingest: functionCpu('ingest'),
    processEvent: functionCpu('processEvent'),
    loadWarehouse: functionCpu('loadWarehouse'),
    pubsubEmulator: () => processGroupCpuSeconds(bench.emulatorGroups.pubsub),
    firestoreEmulator: () => processGroupCpuSeconds(bench.emulatorGroups.firestore),
    frontDoorsAndHarness: () => processCpuSeconds(process.pid),
  });
}

export async function measureSustained(
  bench: BenchStack,
  endToEndPerSecond: number,
): Promise<Pick<BenchResult, 'sustained' | 'sustainedWithinCapacity'>> {
  /** Single events at a fixed rate, then how long each took from its 202 to PROCESSED. */
  const sustainedLoad = async (rate: number, name: string) => {
    const key = await createApiKey(bench.keys, { name });
    const pushesBefore = bench.stack.pushesTo('processEvent');
    const run = await load({
      url: bench.ingestUrl,
      method: 'POST',
      body: singleBody,
      headers: headersFor(key.key),
      connections,
      duration: sustainedSeconds,
      overallRate: rate,
    });
    const latencies = await waitForProcessed(bench.firestore, key.keyId, run.requests, 600_000);
    const pushes = bench.stack.pushesTo('processEvent') - pushesBefore;
    return {
      targetPerSecond: rate,
      seconds: sustainedSeconds,
      events: run.requests,
      p50Ms: latencies.p50Ms,
      p99Ms: latencies.p99Ms,
      ingestP50Ms: run.p50Ms,
      ingestP99Ms: run.p99Ms,
      eventsPerMessage: messageShape(pushes, run.requests).eventsPerMessage,
    };
  };
  log(`Sustained: ${sustainedRate} events a second for ${sustainedSeconds} s…`);
  const sustained = await sustainedLoad(sustainedRate, 'bench-sustained');
  // The same load at half the end-to-end rate just measured: the latency of a stack that keeps up.
  const keepingUpRate = Math.max(10, Math.round(endToEndPerSecond / 20) * 10);
  log(`Sustained within capacity: ${keepingUpRate} events a second for ${sustainedSeconds} s…`);
  const sustainedWithinCapacity = await sustainedLoad(keepingUpRate, 'bench-keeping-up');
  return { sustained, sustainedWithinCapacity };
}

/** Waits until every event of a producer is PROCESSED, then reads their latencies from the status documents. */
export async function waitForProcessed(
  firestore: Firestore,
  producer: string,
  expected: number,
  timeoutMs: number,
): Promise<Latencies> {
  const query = firestore.collection('events').where('producer', '==', producer);
  const deadline = Date.now() + timeoutMs;
  let first: { processed: number; at: number } | undefined;
  for (;;) {
    const processed = (await query.where('status', '==', 'PROCESSED').count().get()).data().count;
    if (processed >= expected) break;
    if (Date.now() > deadline)
      throw new Error(`only ${processed} of ${expected} events PROCESSED after ${timeoutMs} ms`);
    first ??= { processed, at: Date.now() };
    const perSecond = ((processed - first.processed) * 1000) / Math.max(1, Date.now() - first.at);
    await sleep(nextPollMs(expected - processed, perSecond));
  }
  const snapshot = await query.select('receivedAt', 'processedAt').get();
  const times = snapshot.docs.map((doc) => ({
    received: (doc.get('receivedAt') as { toMillis(): number }).toMillis(),
    processed: (doc.get('processedAt') as { toMillis(): number }).toMillis(),
  }));
  const latencies = times.map((t) => t.processed - t.received);
  const span =
    (Math.max(...times.map((t) => t.processed)) - Math.min(...times.map((t) => t.received))) / 1000;
  return {
    eventsPerSecond: round(times.length / span, 0),
    p50Ms: percentile(latencies, 50) ?? 0,
    p99Ms: percentile(latencies, 99) ?? 0,
  };
}
