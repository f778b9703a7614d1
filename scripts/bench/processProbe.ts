/**
 * processEvent measured alone, in this process, behind the emulator's real pushes: its
 * service time per push, the CPU it spends per event, and the one Firestore write round
 * trip it is compared with. `node scripts/bench/processProbe.ts 3000 drain.cpuprofile`
 * also writes a V8 CPU profile of the drain alone; `… 3000 '' floor` drains processEvent's
 * floor instead (see `floorHandler`).
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import type { CloudEvent, CloudEventFunction } from '@google-cloud/functions-framework';
import { processingSubscription, topics } from '../../infra/spec.ts';
import { outsideRequestDomain } from '../../functions/src/lib/frameworkAdapter.ts';
import { readPushedMessage } from '../../functions/src/lib/pushedMessage.ts';
import { transitionContext, type ProcessDeps } from '../../functions/src/process/processEvent.ts';
import type { EventEnvelope } from '../../functions/src/lib/eventEnvelope.ts';
import { eventMessage, eventMessages } from '../../functions/src/lib/eventMessages.ts';
import { processedRecord } from '../../functions/src/process/eventTransitions.ts';
import type { Publisher } from '../../functions/src/lib/publisher.ts';
import type { EventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { startTestPipeline } from '../../test/support/pipeline.ts';
import { freePort, sleep, startEmulator } from '../lib/emulators.ts';
import { percentile, round } from './stats.ts';
import { processDeps } from '../../functions/src/entries/processing.ts';
import { eventStatusStore } from '../../functions/src/entries/shared.ts';

export type ProcessProbe = {
  events: number;
  /** Median wall time of one push in processEvent's handler. */
  serviceTimeMs: number;
  serviceTimeP99Ms: number;
  /** Median of one Firestore create (the claim's write) alone, one at a time. */
  firestoreWriteMs: number;
  /** Median of one events-processed publish alone, one at a time (subscriber settings). */
  publishMs: number;
  /**
   * Medians of the claim's Firestore write and of the fan-out's publish as processEvent
   * saw them during the drain, with the emulators and this process sharing the CPU.
   */
  claimInDrainMs: number;
  publishInDrainMs: number;
  /** CPU (user + system) of this process per event while the pushes drained. */
  cpuMsPerEvent: number;
  pushesPerSecond: number;
  maxConcurrentPushes: number;
};

const writeSamples = 300;
const warmupCalls = 2000;

export async function probeProcessing(
  emulatorHosts: { pubsub: string; firestore: string },
  events: number,
  /** Where to write a V8 CPU profile of the drain alone (DevTools' .cpuprofile). */
  profilePath?: string,
  /** `floor` serves the least a push can do with these libraries instead of processEvent. */
  subject: 'processEvent' | 'floor' = 'processEvent',
): Promise<ProcessProbe> {
  const durations: number[] = [];
  const claims: number[] = [];
  const publishes: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const pipeline = await startTestPipeline({
    label: 'bench-process',
    emulatorHosts,
    overrides: (base) => ({
      events: timedClaims(eventStatusStore(base), claims),
      publisher: timedPublishes(base.publisher, publishes),
    }),
    wrapEntry: (name, entry) => {
      if (name !== 'processEvent' || entry.signature !== 'cloudevent') return entry;
      const handler =
        subject === 'floor' ? floorHandler(() => processDeps(pipeline.runtime)) : entry.handler;
      return {
        signature: 'cloudevent',
        handler: async (event) => {
          const started = performance.now();
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            await handler(event);
          } finally {
            inFlight -= 1;
            durations.push(performance.now() - started);
          }
        },
      };
    },
  });
  try {
    // The claim's write alone, one at a time, after a warm-up: the emulator's JVM and
    // the client take a few thousand calls to reach their steady speed (a cold create
    // measured 4–6 times a warm one).
    const store = eventStatusStore(pipeline.runtime);
    const claim = () =>
      store.put(processedRecord(undefined, envelope(), { now: new Date(), ttlDays: 1 }), undefined);
    for (let i = 0; i < warmupCalls; i += 1) await claim();
    claims.length = 0;
    for (let i = 0; i < writeSamples; i += 1) await claim();
    const writes = claims.splice(0);

    // The fan-out's publish alone, through the publisher processEvent uses.
    const publisher = pipeline.runtime.publisher;
    const publishOne = () => {
      const event = { ...envelope(), processedAt: new Date().toISOString() };
      return publisher.publish(topics.eventsProcessed.name, eventMessage(event));
    };
    for (let i = 0; i < warmupCalls; i += 1) await publishOne();
    publishes.length = 0;
    for (let i = 0; i < writeSamples; i += 1) await publishOne();
    const publishesAlone = publishes.splice(0);

    // Queue the events with the push paused, so the drain below is processEvent alone.
    const subscription = pipeline.pubsub.subscription(processingSubscription);
    const [metadata] = await subscription.getMetadata();
    const pushConfig = metadata.pushConfig ?? {};
    const topic = pipeline.pubsub.topic(topics.events.name);
    const warmup = Math.min(warmupCalls, Math.round(events / 2));
    await Promise.all(
      Array.from({ length: warmup }, () => topic.publishMessage(eventMessage(envelope()))),
    );
    await waitFor(() => durations.length >= warmup, 60_000, 'the warm-up pushes');
    await subscription.modifyPushConfig({});
    await Promise.all(
      Array.from({ length: events }, () => topic.publishMessage(eventMessage(envelope()))),
    );
    durations.length = 0;
    claims.length = 0;
    publishes.length = 0;
    maxInFlight = 0;
    const profiler = profilePath ? await startProfiler() : undefined;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await subscription.modifyPushConfig(pushConfig);
    await waitFor(() => durations.length >= events, 300_000, 'the pushes');
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (profiler && profilePath) await profiler.stop(profilePath);
    return {
      events,
      serviceTimeMs: round(percentile(durations, 50) ?? 0),
      serviceTimeP99Ms: round(percentile(durations, 99) ?? 0),
      firestoreWriteMs: round(percentile(writes, 50) ?? 0),
      publishMs: round(percentile(publishesAlone, 50) ?? 0),
      claimInDrainMs: round(percentile(claims, 50) ?? 0),
      publishInDrainMs: round(percentile(publishes, 50) ?? 0),
      cpuMsPerEvent: round((cpu.user + cpu.system) / 1000 / events, 3),
      pushesPerSecond: round(events / seconds, 0),
      maxConcurrentPushes: maxInFlight,
    };
  } finally {
    await pipeline.close();
  }
}

/**
 * The least a push can cost with the libraries processEvent uses: the framework hands
 * over the push, and the records processEvent writes are created through the same store
 * call while the same message is published, with no validation, no logging, no
 * settlement and no webhook lookup. The message is read and written in the one format
 * every message has, `{"events":[…]}`, as processEvent reads and writes it.
 */
function floorHandler(deps: () => ProcessDeps): CloudEventFunction {
  return outsideRequestDomain(async (event: CloudEvent<unknown>) => {
    const { store, publisher, now, ttlDays, messageLimits } = deps();
    const { events } = JSON.parse(readPushedMessage(event).data.toString('utf8')) as {
      events: EventEnvelope[];
    };
    const context = transitionContext({ now, ttlDays });
    const processedAt = context.now.toISOString();
    const processed = eventMessages(
      events.map((sent) => ({ ...sent, processedAt })),
      messageLimits,
    );
    await Promise.all([
      store.createAll(events.map((sent) => processedRecord(undefined, sent, context))),
      ...processed.map(({ message }) => publisher.publish(topics.eventsProcessed.name, message)),
    ]);
  });
}

/** The store processEvent uses, timing each claim: a create, alone or batched. */
function timedClaims(store: EventStatusStore, times: number[]): EventStatusStore {
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await call();
    times.push(performance.now() - started);
    return result;
  };
  return {
    get: (eventId) => store.get(eventId),
    put: (next, expected) =>
      expected ? store.put(next, expected) : timed(() => store.put(next, expected)),
    createAll: (records) => timed(() => store.createAll(records)),
  };
}

/** The functions' publisher, timing each publish. */
function timedPublishes(publisher: Publisher, times: number[]): Publisher {
  return {
    publish: async (topic, message) => {
      const started = performance.now();
      const messageId = await publisher.publish(topic, message);
      times.push(performance.now() - started);
      return messageId;
    },
  };
}

function envelope(): EventEnvelope {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    eventType: 'page.viewed',
    payload: { title: 'Pricing', referrer: 'search' },
    siteId: 'bench',
    userId: 'u-1',
    path: '/pricing',
    occurredAt: now,
    receivedAt: now,
    source: 'api',
    producer: 'key_probe',
  };
}

async function startProfiler(): Promise<{ stop: (path: string) => Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async (path) => {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Run alone (for a CPU profile): its own emulators, then the figures as JSON.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const [pubsub, firestore] = await Promise.all([
    freePort().then((port) => startEmulator('pubsub', port)),
    freePort().then((port) => startEmulator('firestore', port)),
  ]);
  try {
    const events = Number(process.argv[2] ?? 3000);
    const probe = await probeProcessing(
      { pubsub: pubsub.host, firestore: firestore.host },
      events,
      process.argv[3] || undefined,
      process.argv[4] === 'floor' ? 'floor' : 'processEvent',
    );
    process.stdout.write(`${JSON.stringify(probe, null, 2)}\n`);
  } finally {
    await Promise.all([pubsub.stop(), firestore.stop()]);
  }
}
