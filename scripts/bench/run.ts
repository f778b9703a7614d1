/**
 * `npm run bench`: bounded load against a local stack on 127.0.0.1, measured beside the
 * bare functions framework in the same run. Prints one table and writes
 * bench/results/latest.{json,md} and bench/results/chart.svg.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { applyPubSubSpec } from '../../infra/applyPubSub.ts';
import { functions, subscriptions, topics } from '../../infra/spec.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { FirestoreIdempotencyStore } from '../../functions/src/ingest/idempotency.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { encodeEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { counting, CountingPublisher } from '../../test/support/counting.ts';
import { startTestPipeline } from '../../test/support/pipeline.ts';
import { freePort, sleep, startEmulator } from '../lib/emulators.ts';
import { LocalStack, projectRoot } from '../lib/localStack.ts';
import { costPerMillionEvents, monthlyCost, type OpsPerEvent } from './costModel.ts';
import { renderChart, renderMarkdown, type BenchResult, type HttpScenario } from './report.ts';
import { percentile, round } from './stats.ts';
import { runLoader } from '../../functions/src/warehouse/loadWarehouse.ts';
import { TimedWarehouse } from './timedWarehouse.ts';
import { probeProcessing } from './processProbe.ts';
import { measureTrackingBatch } from './trackingBatch.ts';

const connections = 50;
const singleSeconds = 8;
const singlePasses = 3;
const warmupSeconds = 5;
const batchSize = 500;
const batchSeconds = 8;
const rawPublishMessages = 30_000;
const pushCeilingMessages = 2_000;
const endToEndEvents = 10_000;
const sustainedRate = 200;
const probeEvents = 3_000;
/** End-to-end events/s of the design that read before it wrote (three round trips a push). */
const endToEndBefore = 100;
const sustainedSeconds = 30;
const warehouseEvents = 2_000;

const sampleEvent = {
  eventType: 'page.viewed',
  payload: { title: 'Pricing', referrer: 'search' },
  siteId: 'bench',
  userId: 'u-1',
  path: '/pricing',
};
const log = (line: string) => process.stdout.write(`${line}\n`);

process.env.METADATA_SERVER_DETECTION = 'none';
process.env.RATE_LIMIT_PER_SECOND = '1000000';
process.env.RATE_LIMIT_BURST = '1000000';

const cleanup: (() => Promise<void>)[] = [];
try {
  const result = await runBenchmark();
  const outDir = join(projectRoot, 'bench', 'results');
  await mkdir(outDir, { recursive: true });
  const markdown = renderMarkdown(result);
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), markdown);
  await writeFile(join(outDir, 'chart.svg'), renderChart(result));
  log(`\n${markdown}`);
  log(`Written to bench/results/latest.json, latest.md and chart.svg`);
} finally {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
}
process.exit(0);

async function runBenchmark(): Promise<BenchResult> {
  log('Starting emulators and the local stack…');
  const [pubsubEmulator, firestoreEmulator] = await Promise.all([
    freePort().then((port) => startEmulator('pubsub', port)),
    freePort().then((port) => startEmulator('firestore', port)),
  ]);
  cleanup.push(() =>
    Promise.all([pubsubEmulator.stop(), firestoreEmulator.stop()]).then(() => undefined),
  );
  const stateDir = await mkdtemp(join(tmpdir(), 'tributary-bench-'));
  cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
  const projectId = `bench-${randomUUID().slice(0, 8)}`;
  const stack = await LocalStack.start({
    projectId,
    stateDir,
    pubsubEmulatorHost: pubsubEmulator.host,
    firestoreEmulatorHost: firestoreEmulator.host,
    functionsBasePort: 0,
    retryProfile: 'local',
    logLevel: 'warn',
    log: () => undefined,
  });
  cleanup.push(() => stack.stop());
  const config = loadConfig({
    GOOGLE_CLOUD_PROJECT: projectId,
    PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
    FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
  });
  const pubsub = createPubSub(config);
  const firestore = createFirestore(config);
  cleanup.push(() => Promise.all([pubsub.close(), firestore.terminate()]).then(() => undefined));
  const keys = new FirestoreApiKeyStore(firestore);
  const singleKey = await createApiKey(keys, { name: 'bench-single' });
  const endToEndKey = await createApiKey(keys, { name: 'bench-e2e' });

  const startFloor = async (mode: 'bare' | 'publish') => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'scripts/bench/floorFunction.ts'), String(port), mode],
      {
        stdio: 'ignore',
        env: {
          ...process.env,
          GOOGLE_CLOUD_PROJECT: projectId,
          PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
          FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
        },
      },
    );
    cleanup.push(() => stopProcess(child));
    await waitForHttp(`http://127.0.0.1:${port}/`);
    return `http://127.0.0.1:${port}/`;
  };
  const floorUrl = await startFloor('bare');
  const publishFloorUrl = await startFloor('publish');

  // Ingest is measured alone: with no subscription on `events`, the downstream does not compete for the CPU.
  await pubsub.subscription('events-process').delete();
  const ingestUrl = `${stack.info.ingestUrl}/v1/events`;
  const singleBody = JSON.stringify(sampleEvent);
  const singleLoad = (url: string, key: string, duration: number) =>
    load({
      url,
      method: 'POST',
      body: singleBody,
      headers: headersFor(key),
      connections,
      duration,
    });

  log('Single events: the two floors and ingest, in turn…');
  const floorRuns: HttpScenario[] = [];
  const publishFloorRuns: HttpScenario[] = [];
  const ingestRuns: HttpScenario[] = [];
  await singleLoad(floorUrl, 'x', warmupSeconds);
  await singleLoad(publishFloorUrl, 'x', warmupSeconds);
  await singleLoad(ingestUrl, singleKey.key, warmupSeconds);
  const ingestPid = stack.functionProcess('ingest')?.pid;
  const ingestCpuBefore = processCpuSeconds(ingestPid);
  for (let pass = 0; pass < singlePasses; pass += 1) {
    floorRuns.push(await singleLoad(floorUrl, 'x', singleSeconds));
    publishFloorRuns.push(await singleLoad(publishFloorUrl, 'x', singleSeconds));
    const run = await singleLoad(ingestUrl, singleKey.key, singleSeconds);
    ingestRuns.push(run);
  }
  const ingestCpuPerEvent =
    (processCpuSeconds(ingestPid) - ingestCpuBefore) /
    Math.max(
      1,
      ingestRuns.reduce((sum, r) => sum + r.requests, 0),
    );
  const floorResult = average(floorRuns);
  const publishFloorResult = average(publishFloorRuns);
  const single = average(ingestRuns);

  log('Batches: ingest against the raw Pub/Sub client…');
  const batchBody = JSON.stringify({
    events: Array.from({ length: batchSize }, () => sampleEvent),
  });
  const batchLoad = (duration: number) =>
    load({
      url: `${ingestUrl}/batch`,
      method: 'POST',
      body: batchBody,
      headers: headersFor(singleKey.key),
      connections: 4,
      duration,
    });
  await batchLoad(warmupSeconds);
  const batchRun = await batchLoad(batchSeconds);
  const batch = { ...batchRun, eventsPerSecond: round(batchRun.requestsPerSecond * batchSize, 0) };
  log('Tracking API batches: POST /v1/batch beside /v1/events/batch…');
  const trackingBatch = await measureTrackingBatch(load, {
    ingestUrl: stack.info.ingestUrl,
    apiKey: singleKey.key,
    batchSize,
    connections: 4,
    warmupSeconds: 3,
    seconds: 4,
    passes: 4,
  });
  await rawPublishRate(pubsub, rawPublishMessages / 6);
  const rawPublishPerSecond = await rawPublishRate(pubsub, rawPublishMessages);

  log('The emulator pushing to a bare endpoint: the ceiling of local delivery…');
  const ceiling = await pushCeiling(pubsub, projectId);

  log(`End to end: ${endToEndEvents} events through the whole pipeline…`);
  await applyPubSubSpec(pubsub, {
    profile: 'local',
    pushEndpoint: (fn, subscription) =>
      `${stack.info.functionUrls[fn]}/projects/${projectId}/topics/${subscription.topic}`,
  });
  const processPid = stack.functionProcess('processEvent')?.pid;
  const processCpuBefore = processCpuSeconds(processPid);
  const e2eBody = batchBody;
  await load({
    url: `${ingestUrl}/batch`,
    method: 'POST',
    body: e2eBody,
    headers: headersFor(endToEndKey.key),
    connections: 4,
    amount: endToEndEvents / batchSize,
  });
  const e2eLatencies = await waitForProcessed(
    firestore,
    endToEndKey.keyId,
    endToEndEvents,
    600_000,
  );
  const processCpuPerEvent = (processCpuSeconds(processPid) - processCpuBefore) / endToEndEvents;

  /** Single events at a fixed rate, then how long each took from its 202 to PROCESSED. */
  const sustainedLoad = async (rate: number, name: string) => {
    const key = await createApiKey(keys, { name });
    const run = await load({
      url: ingestUrl,
      method: 'POST',
      body: singleBody,
      headers: headersFor(key.key),
      connections: 30,
      duration: sustainedSeconds,
      overallRate: rate,
    });
    const latencies = await waitForProcessed(firestore, key.keyId, run.requests, 600_000);
    return {
      targetPerSecond: rate,
      seconds: sustainedSeconds,
      events: run.requests,
      p50Ms: latencies.p50Ms,
      p99Ms: latencies.p99Ms,
    };
  };
  log(`Sustained: ${sustainedRate} events a second for ${sustainedSeconds} s…`);
  const sustained = await sustainedLoad(sustainedRate, 'bench-sustained');
  // The same load at half the end-to-end rate just measured: the latency of a stack that keeps up.
  const keepingUpRate = Math.max(10, Math.round(e2eLatencies.eventsPerSecond / 20) * 10);
  log(`Sustained within capacity: ${keepingUpRate} events a second for ${sustainedSeconds} s…`);
  const sustainedWithinCapacity = await sustainedLoad(keepingUpRate, 'bench-keeping-up');

  log('Operations per event, counted through the store and publisher interfaces…');
  const { ops, warehouse } = await countOperations(pubsubEmulator.host, firestoreEmulator.host);

  log('processEvent alone: service time per push, one Firestore write, one publish…');
  const probe = await probeProcessing(
    { pubsub: pubsubEmulator.host, firestore: firestoreEmulator.host },
    probeEvents,
  );
  const serviceCeiling = ceiling.maxConcurrentPushes / (probe.serviceTimeMs / 1000);

  const memoryGib = Math.max(
    ...functions
      .filter((f) => f.name === 'ingest' || f.name === 'processEvent')
      .map((f) => Number.parseInt(f.memory, 10) / 1024),
  );
  const cpuSecondsPerEvent = { ingest: ingestCpuPerEvent, processEvent: processCpuPerEvent };
  const messageBytes = Buffer.byteLength(
    JSON.stringify({
      ...sampleEvent,
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
      processedAt: new Date().toISOString(),
      source: 'api',
      producer: 'key_0123456789abcdef',
    }),
  );
  const cost = costPerMillionEvents(
    ops,
    { cpuSeconds: ingestCpuPerEvent + processCpuPerEvent, memoryGib },
    messageBytes,
  );

  const result: BenchResult = {
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGib: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
    },
    floor: floorResult,
    publishFloor: publishFloorResult,
    ingestSingle: {
      ...single,
      ratioToFloor: round(single.requestsPerSecond / floorResult.requestsPerSecond),
      ratioToPublishFloor: round(single.requestsPerSecond / publishFloorResult.requestsPerSecond),
    },
    ingestBatch: {
      ...batch,
      rawPublishPerSecond: round(rawPublishPerSecond, 0),
      ratioToRawPublish: round(batch.eventsPerSecond / rawPublishPerSecond),
    },
    trackingBatch,
    pushCeiling: ceiling,
    endToEnd: {
      events: endToEndEvents,
      ...e2eLatencies,
      ratioToPushCeiling: round(e2eLatencies.eventsPerSecond / ceiling.messagesPerSecond),
      ratioToServiceCeiling: round(e2eLatencies.eventsPerSecond / serviceCeiling),
      warehouse,
    },
    process: {
      serviceTimeMs: probe.serviceTimeMs,
      serviceTimeP99Ms: probe.serviceTimeP99Ms,
      firestoreWriteMs: probe.firestoreWriteMs,
      publishMs: probe.publishMs,
      cpuMsPerEvent: round(processCpuPerEvent * 1000, 3),
      probeCpuMsPerEvent: probe.cpuMsPerEvent,
      serviceCeilingPerSecond: round(serviceCeiling, 0),
    },
    sustained,
    sustainedWithinCapacity,
    opsPerEvent: ops,
    cpuSecondsPerEvent: Object.fromEntries(
      Object.entries(cpuSecondsPerEvent).map(([k, v]) => [k, round(v, 6)]),
    ),
    costPerMillionEvents: roundAll(cost),
    monthlyCost: {
      at1000PerSecond: round(monthlyCost(cost.total, 1000), 0),
      at10000PerSecond: round(monthlyCost(cost.total, 10_000), 0),
    },
    targets: [],
  };
  result.targets = [
    {
      name: 'single-event ingest vs the bare framework',
      target: '≥ 0.8×',
      measured: `${result.ingestSingle.ratioToFloor}×`,
      met: result.ingestSingle.ratioToFloor >= 0.8,
    },
    {
      name: 'batch ingest vs raw client publish',
      target: '≥ 0.6×',
      measured: `${result.ingestBatch.ratioToRawPublish}×`,
      met: result.ingestBatch.ratioToRawPublish >= 0.6,
    },
    {
      name: 'tracking API POST /v1/batch vs POST /v1/events/batch',
      target: '≥ 0.9×',
      measured: `${trackingBatch.ratioToEventsBatch}×`,
      met: trackingBatch.ratioToEventsBatch >= 0.9,
    },
    {
      name: `end-to-end p99 at ${sustainedRate}/s for ${sustainedSeconds} s`,
      target: '< 2000 ms',
      measured: `${result.sustained.p99Ms} ms`,
      met: result.sustained.p99Ms < 2000,
    },
    {
      name: 'processEvent service time per push vs one Firestore write',
      target: '≤ 1.5×',
      measured: `${round(probe.serviceTimeMs / probe.firestoreWriteMs)}× (${probe.serviceTimeMs} ms / ${probe.firestoreWriteMs} ms)`,
      met: probe.serviceTimeMs <= 1.5 * probe.firestoreWriteMs,
    },
    {
      name: 'end-to-end events/s',
      target: `≥ ${2.5 * endToEndBefore}/s (2.5× ${endToEndBefore}/s)`,
      measured: `${e2eLatencies.eventsPerSecond}/s`,
      met: e2eLatencies.eventsPerSecond >= 2.5 * endToEndBefore,
    },
    {
      name: 'processEvent CPU per event',
      target: '≤ 2.5 ms',
      measured: `${result.process.cpuMsPerEvent} ms (alone: ${probe.cpuMsPerEvent} ms)`,
      met: result.process.cpuMsPerEvent <= 2.5,
    },
    {
      name: 'Firestore writes per event without an Idempotency-Key',
      target: '1',
      measured: String(ops.firestoreWrites),
      met: ops.firestoreWrites === 1,
    },
  ];
  return result;
}

type LoadOptions = autocannon.Options;

function headersFor(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}

async function load(options: LoadOptions): Promise<HttpScenario> {
  // Timed here: autocannon's own duration is counted in whole ticks.
  const started = performance.now();
  const result = await autocannon({ ...options, timeout: 30 });
  const seconds = (performance.now() - started) / 1000;
  const requests = result.requests.total;
  return {
    requests,
    requestsPerSecond: round(requests / seconds, 0),
    eventsPerSecond: round(requests / seconds, 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

function average(runs: HttpScenario[]): HttpScenario {
  const mean = (pick: (r: HttpScenario) => number) =>
    round(runs.reduce((sum, r) => sum + pick(r), 0) / runs.length, 1);
  return {
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    requestsPerSecond: round(
      mean((r) => r.requestsPerSecond),
      0,
    ),
    eventsPerSecond: round(
      mean((r) => r.eventsPerSecond),
      0,
    ),
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: mean((r) => r.p99Ms),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** Messages per second that the Pub/Sub client alone publishes to the emulator, batched as ingest does. */
async function rawPublishRate(pubsub: PubSub, count: number): Promise<number> {
  const topic = pubsub.topic(topics.events.name, {
    batching: {
      maxMessages: defaults.publishBatchMaxMessages,
      maxMilliseconds: defaults.publishBatchMaxMilliseconds,
    },
  });
  const now = new Date().toISOString();
  const messages = Array.from({ length: count }, () =>
    encodeEnvelope({
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

/**
 * How fast the Pub/Sub emulator pushes to an endpoint that answers at once, and how many
 * pushes it keeps in flight: the ceiling of any push-triggered function on this machine.
 */
async function pushCeiling(
  pubsub: PubSub,
  projectId: string,
): Promise<{ messagesPerSecond: number; maxConcurrentPushes: number }> {
  let inFlight = 0;
  let maxInFlight = 0;
  let delivered = 0;
  let allDelivered!: () => void;
  const done = new Promise<void>((resolve) => (allDelivered = resolve));
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () => {
      inFlight -= 1;
      res.writeHead(204).end();
      delivered += 1;
      if (delivered === pushCeilingMessages) allDelivered();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const name = 'bench-push-ceiling';
  const [topic] = await pubsub.createTopic(name);
  const [subscription] = await topic.createSubscription(name, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/projects/${projectId}/topics/${name}` },
    ackDeadlineSeconds: 60,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: pushCeilingMessages }, (_, i) =>
        topic.publishMessage({ data: Buffer.from(`{"n":${i}}`) }),
      ),
    );
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${delivered} of ${pushCeilingMessages} pushes in 120 s`)),
        120_000,
      );
    });
    await Promise.race([done, timedOut]);
    const seconds = (performance.now() - started) / 1000;
    return {
      messagesPerSecond: round(pushCeilingMessages / seconds, 0),
      maxConcurrentPushes: maxInFlight,
    };
  } finally {
    clearTimeout(timer);
    await subscription.delete();
    await topic.delete();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Waits until every event of a producer is PROCESSED, then reads their latencies from the status documents. */
async function waitForProcessed(
  firestore: Firestore,
  producer: string,
  expected: number,
  timeoutMs: number,
): Promise<{ eventsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const query = firestore.collection('events').where('producer', '==', producer);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const processed = (await query.where('status', '==', 'PROCESSED').count().get()).data().count;
    if (processed >= expected) break;
    if (Date.now() > deadline)
      throw new Error(`only ${processed} of ${expected} events PROCESSED after ${timeoutMs} ms`);
    await sleep(500);
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

/** The in-process pipeline with counting wrappers around our interfaces. */
async function countOperations(
  pubsubHost: string,
  firestoreHost: string,
): Promise<{
  ops: BenchResult['opsPerEvent'];
  warehouse: NonNullable<BenchResult['endToEnd']['warehouse']>;
}> {
  let publisher!: CountingPublisher;
  let events!: ReturnType<typeof counting<FirestoreEventStatusStore>>;
  let idempotency!: ReturnType<typeof counting<FirestoreIdempotencyStore>>;
  let warehouse!: TimedWarehouse;
  const invocations = new Map<string, number>();
  const pipeline = await startTestPipeline({
    label: 'bench-ops',
    emulatorHosts: { pubsub: pubsubHost, firestore: firestoreHost },
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
    const send = async (n: number, withKey: boolean) => {
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
    };
    const reset = () => {
      publisher.byTopic.clear();
      events.reset();
      idempotency.reset();
      invocations.clear();
    };
    const n = 200;
    reset();
    await send(n, false);
    // The waits above read through their own store, so these are the pipeline's reads alone.
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
    await send(n, true);
    const keyedWrites = (events.counts.get('put') ?? 0) + (idempotency.counts.get('claim') ?? 0);
    const keyedReads = events.counts.get('get') ?? 0;

    // The warehouse: drain what the runs above left, then load a fresh set with loader runs back to back.
    const loader = pipeline.runtime.loaderDeps();
    await runLoader(loader);
    warehouse.reset();
    const sent = (async () => {
      for (let i = 0; i < warehouseEvents / batchSize; i += 1) {
        const response = await fetch(`${pipeline.urls.ingest}/v1/events/batch`, {
          method: 'POST',
          headers: headersFor(pipeline.apiKey),
          body: JSON.stringify({ events: Array.from({ length: batchSize }, () => sampleEvent) }),
        });
        if (response.status !== 202) throw new Error(`warehouse batch: ${response.status}`);
      }
    })();
    const loadDeadline = Date.now() + 180_000;
    while (warehouse.rows < warehouseEvents) {
      if (Date.now() > loadDeadline) throw new Error('warehouse run did not load every event');
      await runLoader(loader);
    }
    await sent;
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
      warehouse: {
        events: warehouse.rows,
        eventsPerSecond: round(warehouse.rows / (warehouse.spanMs() / 1000), 0),
        p50Ms: percentile(warehouse.latencies, 50) ?? 0,
        p99Ms: percentile(warehouse.latencies, 99) ?? 0,
      },
    };
  } finally {
    await pipeline.close();
  }
}

/** CPU seconds (user + system) a process has used, from /proc. */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return 0;
  }
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    try {
      await fetch(url, { method: 'POST' });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not answer`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function roundAll<T extends Record<string, number>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v, 4)])) as T;
}
