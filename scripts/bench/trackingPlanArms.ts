/** One arm of the tracking plan scenario: its stack, its load, and how its runs are timed and counted. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import type { Message, PubSub } from '@google-cloud/pubsub';
import { FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { FirestorePlanStore } from '../../functions/src/plan/planStore.ts';
import type { PlanFile } from '../../functions/src/plan/trackingPlan.ts';
import {
  collections,
  subscriptions,
  topics,
  warehouseLoaderSubscription,
} from '../../infra/spec.ts';
import { sleep } from '../lib/emulators.ts';
import { LocalStack } from '../lib/localStack.ts';
import type { BenchEmulators, Cleanup } from './benchStack.ts';
import { headersFor, load } from './httpLoad.ts';
import { batchSize } from './settings.ts';

export type Arm = 'plan' | 'none';

export type ArmStack = {
  stack: LocalStack;
  firestore: Firestore;
  keys: FirestoreApiKeyStore;
  /** `${ingest}/v1/events/batch`. */
  url: string;
  processed: ProcessedEvents;
  stop: () => Promise<void>;
};

/**
 * A stack of the batch path in a project of its own, its plan in Firestore before it
 * starts. The warehouse loader is taken out (its runs, every minute, would fall on some
 * passes and not others); a subscription of the harness's own reads `events-processed`
 * in its place.
 */
export async function startArm(
  bench: BenchEmulators,
  cleanup: Cleanup,
  arm: Arm,
  plan: PlanFile,
): Promise<ArmStack> {
  const projectId = `${bench.projectId}-${arm === 'plan' ? 'plan' : 'noplan'}`;
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: projectId,
      FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
    }),
  );
  cleanup.push(() => firestore.terminate());
  await new FirestorePlanStore(firestore).apply(plan, new Date());
  const stateDir = await mkdtemp(join(tmpdir(), `tributary-bench-${arm}-`));
  cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
  const stack = await LocalStack.start({
    projectId,
    stateDir,
    pubsubEmulatorHost: bench.emulatorHosts.pubsub,
    firestoreEmulatorHost: bench.emulatorHosts.firestore,
    functionsBasePort: 0,
    retryProfile: 'local',
    logLevel: 'warn',
    log: () => undefined,
  });
  cleanup.push(() => stack.stop());
  const pubsub = createPubSub(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: bench.emulatorHosts.pubsub,
    }),
  );
  cleanup.push(() => pubsub.close());
  const loader = subscriptions('local')
    .filter((s) => s.pushTo === 'loadWarehouse' || s.name === warehouseLoaderSubscription)
    .map((s) => s.name);
  await Promise.all(loader.map((name) => pubsub.subscription(name).delete()));
  const processed = await ProcessedEvents.subscribe(pubsub);
  return {
    stack,
    firestore,
    keys: new FirestoreApiKeyStore(firestore),
    url: `${stack.info.ingestUrl}/v1/events/batch`,
    processed,
    stop: async () => {
      await processed.close();
      await stack.stop();
    },
  };
}

/** Calls of `batchSize` from four connections, as the batch path sends them; events sent. */
export async function sendBatches(
  url: string,
  key: string,
  requests: { method: 'POST'; body: string }[],
  count: number,
): Promise<number> {
  const run = await load({
    url,
    method: 'POST',
    requests,
    headers: headersFor(key),
    connections: 4,
    amount: count / batchSize,
  });
  if (run.errors > 0) throw new Error(`${run.errors} of ${run.requests} calls failed`);
  return run.requests * batchSize;
}

export async function sendOne(url: string, key: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: headersFor(key), body });
  if (response.status !== 202) throw new Error(`a call answered ${response.status}`);
  return (JSON.parse(body) as { events: unknown[] }).events.length;
}

export type EventTimes = { received: number; processed: number };

/** The events processEvent publishes on `events-processed`, by producer. */
class ProcessedEvents {
  readonly #byProducer = new Map<string, EventTimes[]>();
  readonly #close: () => Promise<void>;

  private constructor(close: () => Promise<void>) {
    this.#close = close;
  }

  static async subscribe(pubsub: PubSub): Promise<ProcessedEvents> {
    const [subscription] = await pubsub
      .topic(topics.eventsProcessed.name)
      .createSubscription('bench-plan-processed');
    const events = new ProcessedEvents(() => subscription.close());
    subscription.on('message', (message: Message) => {
      events.#add(message.data);
      message.ack();
    });
    return events;
  }

  #add(data: Buffer): void {
    const { events } = JSON.parse(data.toString('utf8')) as {
      events: { producer: string; receivedAt: string; processedAt: string }[];
    };
    for (const event of events) {
      let times = this.#byProducer.get(event.producer);
      if (!times) this.#byProducer.set(event.producer, (times = []));
      times.push({
        received: Date.parse(event.receivedAt),
        processed: Date.parse(event.processedAt),
      });
    }
  }

  /** Waits until `expected` events of the producer are processed; their times. */
  async settled(producer: string, expected: number, timeoutMs: number): Promise<EventTimes[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const times = this.#byProducer.get(producer) ?? [];
      if (times.length >= expected) {
        this.#byProducer.delete(producer);
        return times;
      }
      if (Date.now() > deadline)
        throw new Error(
          `only ${times.length} of ${expected} events processed after ${timeoutMs} ms`,
        );
      await sleep(20);
    }
  }

  close(): Promise<void> {
    return this.#close();
  }
}

/** Events the plan held so far in the project: the sum of its violation counts, every day. */
export async function quarantinedSoFar(firestore: Firestore): Promise<number> {
  const snapshot = await firestore.collection(collections.trackingViolationCounts.name).get();
  let total = 0;
  for (const doc of snapshot.docs) {
    const counts = (doc.get('counts') ?? {}) as Record<string, unknown>;
    for (const count of Object.values(counts)) total += Number(count);
  }
  return total;
}

/**
 * Waits until the violation counts have grown by `expected` (a message's count is written
 * as its events settle, beside its publish); what they grew by.
 */
export async function waitForQuarantined(
  firestore: Firestore,
  before: number,
  expected: number,
): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const held = (await quarantinedSoFar(firestore)) - before;
    if (held === expected) return held;
    if (held > expected || Date.now() > deadline)
      throw new Error(`${held} events quarantined where ${expected} should be`);
    await sleep(100);
  }
}
