/**
 * What every scenario runs against: both emulators, the local stack on 127.0.0.1, clients
 * to them and two API keys. Each part adds its own teardown to `cleanup`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { freePort, startEmulator } from '../lib/emulators.ts';
import { LocalStack } from '../lib/localStack.ts';
import { log } from './settings.ts';

export type Cleanup = (() => Promise<void>)[];

type BenchKey = { key: string; keyId: string };

export type BenchStack = {
  projectId: string;
  emulatorHosts: { pubsub: string; firestore: string };
  /** The emulators' process groups, for the CPU they spend. */
  emulatorGroups: { pubsub: number | undefined; firestore: number | undefined };
  stack: LocalStack;
  /** `${ingest function}/v1/events`. */
  ingestUrl: string;
  pubsub: PubSub;
  firestore: Firestore;
  keys: FirestoreApiKeyStore;
  singleKey: BenchKey;
  endToEndKey: BenchKey;
  /** A browser key for `browserOrigin`, as a web site's pages use one. */
  browserKey: BenchKey;
};

export const browserOrigin = 'https://bench.example';
export const browserSiteId = 'bench';

/** Both emulators on free ports of 127.0.0.1, and a project of the run's own. */
export type BenchEmulators = Pick<BenchStack, 'projectId' | 'emulatorHosts' | 'emulatorGroups'>;

export async function startBenchEmulators(cleanup: Cleanup): Promise<BenchEmulators> {
  const [pubsubEmulator, firestoreEmulator] = await Promise.all([
    freePort().then((port) => startEmulator('pubsub', port)),
    freePort().then((port) => startEmulator('firestore', port)),
  ]);
  cleanup.push(() =>
    Promise.all([pubsubEmulator.stop(), firestoreEmulator.stop()]).then(() => undefined),
  );
  return {
    projectId: `bench-${randomUUID().slice(0, 8)}`,
    emulatorHosts: { pubsub: pubsubEmulator.host, firestore: firestoreEmulator.host },
    emulatorGroups: {
      pubsub: pubsubEmulator.processGroup,
      firestore: firestoreEmulator.processGroup,
    },
  };
}

export async function startBenchStack(cleanup: Cleanup): Promise<BenchStack> {
  log('Starting emulators and the local stack…');
  const { projectId, emulatorHosts, emulatorGroups } = await startBenchEmulators(cleanup);
  const stateDir = await mkdtemp(join(tmpdir(), 'tributary-bench-'));
  cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
  const stack = await LocalStack.start({
    projectId,
    stateDir,
    pubsubEmulatorHost: emulatorHosts.pubsub,
    firestoreEmulatorHost: emulatorHosts.firestore,
    functionsBasePort: 0,
    retryProfile: 'local',
    logLevel: 'warn',
    log: () => undefined,
  });
  cleanup.push(() => stack.stop());
  const config = loadConfig({
    GOOGLE_CLOUD_PROJECT: projectId,
    PUBSUB_EMULATOR_HOST: emulatorHosts.pubsub,
    FIRESTORE_EMULATOR_HOST: emulatorHosts.firestore,
  });
  const pubsub = createPubSub(config);
  const firestore = createFirestore(config);
  cleanup.push(() => Promise.all([pubsub.close(), firestore.terminate()]).then(() => undefined));
  const keys = new FirestoreApiKeyStore(firestore);
  const singleKey = await createApiKey(keys, { name: 'bench-single' });
  const endToEndKey = await createApiKey(keys, { name: 'bench-e2e' });
  const browserKey = await createApiKey(keys, {
    name: 'bench-browser',
    siteId: browserSiteId,
    allowedOrigins: [browserOrigin],
  });
  return {
    projectId,
    emulatorHosts,
    emulatorGroups,
    stack,
    ingestUrl: `${stack.info.ingestUrl}/v1/events`,
    pubsub,
    firestore,
    keys,
    singleKey,
    endToEndKey,
    browserKey,
  };
}
