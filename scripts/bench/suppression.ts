/**
 * Single events with 100,000 people suppressed, beside the same with none: `POST
 * /v1/events` one event at a time, each answered 202 and published (the bench's user is
 * not suppressed, so both arms do the same work but for the list's check). Two stacks on
 * the same emulators, each in a project of its own: one whose suppression list holds
 * `suppressedSubjects` keyed hashes (written before its first request, as 5,000 to a
 * change), one whose list is empty. Passes alternate the publish floor and the two arms
 * (floor, with, without; then floor, without, with…) so a drift of the machine falls on
 * all three; each arm's ratio to the floor is the mean of its passes', and `relative` is
 * the median over the passes of the arm with the list over the one without, which ran
 * back to back.
 *
 * Beside it, measured in this process: the held list's heap, one cold read of it from
 * the emulator, and the check's cost per event.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createApiKey, FirestoreApiKeyStore } from '../../functions/src/ingest/apiKeys.ts';
import { createFirestore, createPubSub } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { PrivacyListState } from '../../functions/src/privacy/privacyList.ts';
import { FirestorePrivacyListStore } from '../../functions/src/privacy/privacyListStore.ts';
import { SubjectHasher } from '../../functions/src/privacy/subjects.ts';
import { processingSubscription } from '../../infra/spec.ts';
import { LocalStack } from '../lib/localStack.ts';
import type { BenchEmulators, Cleanup } from './benchStack.ts';
import { startFloors } from './floors.ts';
import { headersFor, load } from './httpLoad.ts';
import type { HttpScenario, SuppressionResult } from './results.ts';
import {
  connections,
  log,
  sampleEvent,
  singleBody,
  suppressionPasses,
  suppressionSeconds,
  suppressedSubjects,
  warmupSeconds,
} from './settings.ts';
import { median } from './alternatingPasses.ts';
import { round } from './stats.ts';

type Arm = { url: string; key: string; stop: () => Promise<void> };

const perChange = defaults.maxRegulationSubjects;

const run = (url: string, key: string, seconds: number) =>
  load({
    url,
    method: 'POST',
    body: singleBody,
    headers: headersFor(key),
    connections,
    duration: seconds,
  });

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

export async function measureSuppression(
  bench: BenchEmulators,
  cleanup: Cleanup,
): Promise<SuppressionResult> {
  log(`Suppression: single events with ${suppressedSubjects} people suppressed, and with none…`);
  const withList = await startArm(bench, cleanup, 'suppressed', suppressedSubjects);
  const withoutList = await startArm(bench, cleanup, 'open', 0);
  const { publishFloorUrl } = await startFloors(
    { projectId: `${bench.projectId}-open`, emulatorHosts: bench.emulatorHosts },
    cleanup,
  );
  await run(publishFloorUrl, 'x', warmupSeconds);
  await run(withList.url, withList.key, warmupSeconds);
  await run(withoutList.url, withoutList.key, warmupSeconds);
  const floor: HttpScenario[] = [];
  const withRuns: HttpScenario[] = [];
  const withoutRuns: HttpScenario[] = [];
  for (let pass = 0; pass < suppressionPasses; pass += 1) {
    floor.push(await run(publishFloorUrl, 'x', suppressionSeconds));
    const order = pass % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
    for (const arm of order) {
      if (arm === 'with') withRuns.push(await run(withList.url, withList.key, suppressionSeconds));
      else withoutRuns.push(await run(withoutList.url, withoutList.key, suppressionSeconds));
    }
  }
  await Promise.all([withList.stop(), withoutList.stop()]);
  const ratios = (runs: HttpScenario[]) =>
    runs.map((r, pass) => r.requestsPerSecond / floor[pass]!.requestsPerSecond);
  const withRatios = ratios(withRuns);
  const withoutRatios = ratios(withoutRuns);
  const passRatios = withRuns.map(
    (r, pass) => r.requestsPerSecond / withoutRuns[pass]!.requestsPerSecond,
  );
  const held = await measureHeldList(bench);
  return {
    suppressedSubjects,
    cacheSeconds: defaults.privacyListCacheSeconds,
    passes: suppressionPasses,
    passSeconds: suppressionSeconds,
    floor,
    withList: withRuns,
    withoutList: withoutRuns,
    ratioToPublishFloorWith: round(mean(withRatios)),
    ratioToPublishFloorWithout: round(mean(withoutRatios)),
    // Each pass's arms ran back to back: their ratio is the least exposed to the drift.
    relative: round(median(passRatios)),
    passRatios: passRatios.map((ratio) => round(ratio)),
    ...held,
  };
}

/** A stack of its own project; its list written before its first request. */
async function startArm(
  bench: BenchEmulators,
  cleanup: Cleanup,
  name: string,
  suppressed: number,
): Promise<Arm> {
  const projectId = `${bench.projectId}-${name}`;
  const stateDir = await mkdtemp(join(tmpdir(), `tributary-bench-${name}-`));
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
  const config = loadConfig({
    GOOGLE_CLOUD_PROJECT: projectId,
    PUBSUB_EMULATOR_HOST: bench.emulatorHosts.pubsub,
    FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
  });
  const firestore = createFirestore(config);
  const pubsub = createPubSub(config);
  cleanup.push(() => Promise.all([firestore.terminate(), pubsub.close()]).then(() => undefined));
  // Ingest alone: nothing downstream competes for the cores.
  await pubsub.subscription(processingSubscription).delete();
  const { subjectHashKey } = JSON.parse(await readFile(join(stateDir, 'secrets.json'), 'utf8')) as {
    subjectHashKey: string;
  };
  await writeSuppressed(
    new FirestorePrivacyListStore(firestore),
    new SubjectHasher(Buffer.from(subjectHashKey, 'base64')),
    suppressed,
  );
  const key = await createApiKey(new FirestoreApiKeyStore(firestore), { name: `bench-${name}` });
  return { url: `${stack.info.ingestUrl}/v1/events`, key: key.key, stop: () => stack.stop() };
}

async function writeSuppressed(
  store: FirestorePrivacyListStore,
  hasher: SubjectHasher,
  count: number,
): Promise<void> {
  for (let start = 0; start < count; start += perChange) {
    const hashes = Array.from({ length: Math.min(perChange, count - start) }, (_, i) =>
      hasher.hash(`suppressed-${start + i}@example.com`),
    );
    await store.append({
      regulationId: randomUUID(),
      op: 'suppress',
      hashes,
      at: new Date(),
      until: null,
    });
  }
}

/** The list as an instance holds it: heap, a cold read, and the check per event. */
async function measureHeldList(bench: BenchEmulators) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: `${bench.projectId}-suppressed`,
      FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
    }),
  );
  try {
    const store = new FirestorePrivacyListStore(firestore);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const readStarted = performance.now();
    const { seq, changes } = await store.changesAfter(0);
    const coldReadMs = performance.now() - readStarted;
    const applyStarted = performance.now();
    const state = PrivacyListState.empty().apply(seq, changes);
    const applyMs = performance.now() - applyStarted;
    changes.length = 0;
    gc();
    const heldMb = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;
    const hasher = new SubjectHasher(Buffer.alloc(32, 7));
    const checks = 200_000;
    const checkStarted = performance.now();
    let suppressed = 0;
    for (let i = 0; i < checks; i += 1)
      if (state.verdict(hasher.ofEvent(sampleEvent), new Date(), Date.now())) suppressed += 1;
    const checkMicroseconds = ((performance.now() - checkStarted) * 1000) / checks;
    if (suppressed > 0) throw new Error('the bench user must not be suppressed');
    return {
      heldListMb: round(heldMb, 1),
      coldReadMs: round(coldReadMs, 0),
      applyMs: round(applyMs, 0),
      checkMicroseconds: round(checkMicroseconds, 2),
      subjectsHeld: state.suppressedCount,
    };
  } finally {
    await firestore.terminate();
  }
}
