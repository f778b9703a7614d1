import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import * as functionsFramework from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Firestore } from '@google-cloud/firestore';
import type { Message, PubSub } from '@google-cloud/pubsub';
import { inject } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPubSubSpec, topicPushPath } from '../../infra/applyPubSub.ts';
import { subscriptions, type FunctionName } from '../../infra/spec.ts';
import { loadEntryPoints, type EntryPoint } from '../../functions/src/entryPoints.ts';
import { ingestDeps as runtimeIngestDeps } from '../../functions/src/entries/ingest.ts';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import type { IngestDeps } from '../../functions/src/ingest/ingestDeps.ts';
import { createIngestHandler } from '../../functions/src/ingest/ingestHandler.ts';
import { ingestFunctionRoutes } from '../../functions/src/routeTable.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { decodeEventMessage } from '../../functions/src/lib/eventMessages.ts';
import { installFrameworkHooks } from '../../functions/src/lib/frameworkAdapter.ts';
import { setAsideMultipartBody } from '../../functions/src/lib/streamingUploads.ts';
import { readTrackingBody } from '../../functions/src/ingest/tracking/trackingBodies.ts';
import { createLogger } from '../../functions/src/lib/logger.ts';
import type { EventRecord } from '../../functions/src/process/eventRecord.ts';
import { FirestoreEventStatusStore } from '../../functions/src/process/eventStatusStore.ts';
import { Runtime, type RuntimeOverrides } from '../../functions/src/runtime.ts';
import { sleep } from '../../scripts/lib/emulators.ts';

/** A project id of its own per test file: the emulators keep projects apart. */
export function uniqueProjectId(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}

/** A Pub/Sub client on the shared test emulator, for the given project. */
export function emulatorPubSub(projectId: string): PubSub {
  return createPubSub(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: inject('pubsubEmulatorHost'),
    }),
  );
}

export type TestPipeline = {
  projectId: string;
  runtime: Runtime;
  urls: Record<FunctionName, string>;
  apiKey: string;
  adminToken: string;
  pubsub: PubSub;
  firestore: Firestore;
  close: () => Promise<void>;
};

/**
 * Every function served in this process on 127.0.0.1, wired to the real emulators
 * through the spec (test retry profile), with an API key.
 */
export async function startTestPipeline(options: {
  label: string;
  env?: Record<string, string>;
  overrides?: (runtime: Runtime) => RuntimeOverrides;
  ingestOverrides?: (deps: IngestDeps) => IngestDeps;
  /** Outside vitest (benchmarks), the emulators to use. */
  emulatorHosts?: { pubsub: string; firestore: string };
  /** Wraps each function's entry point, e.g. to count invocations. */
  wrapEntry?: (name: FunctionName, entry: EntryPoint) => EntryPoint;
}): Promise<TestPipeline> {
  installFrameworkHooks([setAsideMultipartBody, readTrackingBody]);
  const projectId = uniqueProjectId(options.label);
  const adminToken = randomBytes(32).toString('base64url');
  // Each pipeline has a local warehouse file of its own.
  const warehouseDir = mkdtempSync(join(tmpdir(), 'tributary-warehouse-'));
  const env = {
    WAREHOUSE_DUCKDB_PATH: join(warehouseDir, 'warehouse.duckdb'),
    GOOGLE_CLOUD_PROJECT: projectId,
    PUBSUB_EMULATOR_HOST: options.emulatorHosts?.pubsub ?? inject('pubsubEmulatorHost'),
    FIRESTORE_EMULATOR_HOST: options.emulatorHosts?.firestore ?? inject('firestoreEmulatorHost'),
    TRIBUTARY_ENV: 'test',
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // Test receivers listen on 127.0.0.1.
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  process.env.METADATA_SERVER_DETECTION = 'none';
  const config = loadConfig(env);
  const base = new Runtime(config, { logger: createLogger({ level: 'silent' }) });
  const runtime = options.overrides
    ? new Runtime(config, { logger: base.logger, ...options.overrides(base) })
    : base;
  const ingestDeps = () =>
    options.ingestOverrides
      ? options.ingestOverrides(runtimeIngestDeps(runtime))
      : runtimeIngestDeps(runtime);
  let ingestCache: IngestDeps | undefined;

  const suffix = randomUUID();
  const entries = await loadEntryPoints(runtime);
  entries.ingest = {
    signature: 'http',
    handler: createIngestHandler(() => (ingestCache ??= ingestDeps()), ingestFunctionRoutes),
  };
  const servers: Server[] = [];
  const ports = {} as Record<FunctionName, number>;
  for (const [name, original] of Object.entries(entries) as [FunctionName, EntryPoint][]) {
    const entry = options.wrapEntry ? options.wrapEntry(name, original) : original;
    const registered = `${name}-${suffix}`;
    if (entry.signature === 'http') functionsFramework.http(registered, entry.handler);
    else functionsFramework.cloudEvent(registered, entry.handler);
    const server = getTestServer(registered);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports[name] = (server.address() as AddressInfo).port;
  }
  const urls = Object.fromEntries(
    Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`]),
  ) as Record<FunctionName, string>;

  const pubsub = createPubSub(config);
  const firestore = createFirestore(config);
  await applyPubSubSpec(pubsub, {
    profile: 'test',
    pushEndpoint: (fn, subscription) =>
      `${urls[fn]}${topicPushPath(projectId, subscription.topic)}`,
  });
  const { key: apiKey } = await createApiKey(new FirestoreApiKeyStore(firestore), { name: 'test' });

  return {
    projectId,
    runtime,
    urls,
    apiKey,
    adminToken,
    pubsub,
    firestore,
    close: async () => {
      // Detach push endpoints first, so the emulator stops pushing into closed ports.
      await Promise.all(
        pushSubscriptionNames.map((name) =>
          pubsub
            .subscription(name)
            .delete()
            .catch(() => undefined),
        ),
      );
      for (const server of servers) server.closeAllConnections();
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      await runtime.close();
      await Promise.all([pubsub.close(), firestore.terminate()]);
      rmSync(warehouseDir, { recursive: true, force: true });
    },
  };
}

const pushSubscriptionNames = subscriptions()
  .filter((subscription) => subscription.pushTo)
  .map((subscription) => subscription.name);

/** The ids of the events a message on `events` or `events-processed` carries. */
export function eventIdsIn(message: Pick<Message, 'data' | 'attributes'>): string[] {
  return decodeEventMessage(message.data, message.attributes).flatMap((item) =>
    item.ok ? [item.value.eventId] : [],
  );
}

/** Waits until `check` returns a value, or fails with what was last seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}`);
    await sleep(options.intervalMs ?? 100);
  }
}

export async function eventRecord(
  pipeline: TestPipeline,
  eventId: string,
): Promise<EventRecord | undefined> {
  return (await new FirestoreEventStatusStore(pipeline.firestore).get(eventId))?.record;
}

export async function waitForStatus(
  pipeline: TestPipeline,
  eventId: string,
  status: EventRecord['status'],
  timeoutMs = 20_000,
): Promise<EventRecord> {
  return eventually(
    async () => {
      const record = await eventRecord(pipeline, eventId);
      return record?.status === status ? record : undefined;
    },
    { timeoutMs, what: `${eventId} to be ${status}` },
  );
}

/** Pulls what has arrived on a pull subscription until it has been quiet for `quietMs`. */
export async function drainSubscription(
  pubsub: PubSub,
  subscriptionName: string,
  options: { quietMs?: number; timeoutMs?: number; until?: (messages: Message[]) => boolean } = {},
): Promise<Message[]> {
  const subscription = pubsub.subscription(subscriptionName);
  const messages: Message[] = [];
  let last = Date.now();
  const onMessage = (message: Message) => {
    messages.push(message);
    last = Date.now();
    message.ack();
  };
  subscription.on('message', onMessage);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  try {
    while (Date.now() < deadline) {
      if (options.until?.(messages)) break;
      if (!options.until && Date.now() - last > (options.quietMs ?? 1500)) break;
      await sleep(100);
    }
  } finally {
    subscription.removeListener('message', onMessage);
    await subscription.close();
  }
  return messages;
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
