/**
 * A webhook endpoint that fails every delivery, hundreds of times a second, seen by a
 * few instances at once: how many writes its documents take (the endpoint's and each
 * instance's health shard), counted per document through the store interface, against
 * the Firestore emulator. Run alone: `node scripts/bench/endpointFailureWrites.ts`.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createFirestore } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import {
  newEndpoint,
  newEndpointId,
  type WebhookEndpoint,
} from '../../functions/src/webhooks/endpoint.ts';
import { FirestoreEndpointStore } from '../../functions/src/webhooks/endpointStore.ts';
import { EndpointHealthRecorder } from '../../functions/src/webhooks/healthRecorder.ts';
import { WriteCountingEndpointStore } from '../../test/support/endpointWrites.ts';
import { freePort, sleep, startEmulator } from '../lib/emulators.ts';

export type EndpointFailureWrites = {
  /** The most writes any one document took within any second. */
  perSecond: number;
  /** The most writes any one document took in all. */
  perDocumentMax: number;
  deliveries: number;
  seconds: number;
  disabled: boolean;
};

const deliveriesPerSecond = 500;
const seconds = 10;
const instances = 3;
/** Reached about eight seconds in: the run shows both the steady writes and the disabling. */
const disableAfterFailures = 4_000;
/** How often a simulated instance reads the endpoint afresh (each delivery does, in the pipeline). */
const readEveryMs = 100;
const tickMs = 10;

export async function measureEndpointFailureWrites(
  options: { firestoreEmulatorHost?: string } = {},
): Promise<EndpointFailureWrites> {
  const emulator = options.firestoreEmulatorHost
    ? undefined
    : await freePort().then((port) => startEmulator('firestore', port));
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: `bench-health-${randomUUID().slice(0, 8)}`,
      FIRESTORE_EMULATOR_HOST: options.firestoreEmulatorHost ?? emulator!.host,
    }),
  );
  try {
    const store = new WriteCountingEndpointStore(new FirestoreEndpointStore(firestore));
    const id = newEndpointId();
    const settings = { id, url: 'https://hooks.example.com/', description: null, secrets: [] };
    await store.create(newEndpoint({ ...settings, eventTypes: ['*'], enabled: true }, new Date()));
    store.reset();
    const logger = createLogger({ level: 'silent' });
    const recorders = Array.from(
      { length: instances },
      (_, i) =>
        new EndpointHealthRecorder({
          store,
          disableAfterFailures,
          logger,
          instanceId: `bench-instance-${i + 1}`,
        }),
    );
    let deliveries = 0;
    let sendingEnded = 0;
    const started = Date.now();
    await Promise.all(
      recorders.map(async (recorder) => {
        let endpoint = (await store.get(id))!;
        let readAt = Date.now();
        let sent = 0;
        const inFlight = new Set<Promise<unknown>>();
        for (let tick = Date.now(); tick - started < seconds * 1000; tick = Date.now()) {
          if (tick - readAt >= readEveryMs) {
            endpoint = (await store.get(id))!;
            readAt = tick;
          }
          const owed = ((tick - started) / 1000) * (deliveriesPerSecond / instances);
          for (; sent < owed; sent += 1) {
            deliveries += 1;
            // A disabled endpoint's deliveries are kept for replay, not sent.
            if (!endpoint.enabled) continue;
            const delivery = failedDelivery(recorder, endpoint);
            inFlight.add(delivery);
            void delivery.finally(() => inFlight.delete(delivery));
          }
          await sleep(Math.max(0, tick + tickMs - Date.now()));
        }
        sendingEnded = Math.max(sendingEnded, Date.now());
        // Deliveries that wait for the write that may disable the endpoint.
        await Promise.all(inFlight);
      }),
    );
    const elapsed = (sendingEnded - started) / 1000;
    await Promise.all(recorders.map((recorder) => recorder.flush()));
    const stored = await store.get(id);
    return {
      perSecond: store.perSecondMax(),
      perDocumentMax: store.perDocumentMax(),
      deliveries,
      seconds: Math.round(elapsed * 10) / 10,
      disabled: stored?.enabled === false,
    };
  } finally {
    await firestore.terminate();
    await emulator?.stop();
  }
}

function failedDelivery(
  recorder: EndpointHealthRecorder,
  endpoint: WebhookEndpoint,
): Promise<unknown> {
  return recorder.record(endpoint, {
    kind: 'failed',
    error: { code: 'http_503', message: 'HTTP 503' },
    gone: false,
  });
}

// Run alone: its own Firestore emulator, then the figures as JSON.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const result = await measureEndpointFailureWrites({
    firestoreEmulatorHost: process.env.FIRESTORE_EMULATOR_HOST,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
