/**
 * Single events with 100,000 people suppressed, beside the same with none: `POST
 * /v1/events` one event at a time, each answered 202 and published (the bench's user is
 * not suppressed, so both do the same work but for the list's check). One stack, whose
 * list is filled (100,000 keyed hashes, 5,000 to a change) before each run with the list
 * and emptied (the same people lifted) before each run without, the instance given a
 * moment to read it (`PRIVACY_LIST_CACHE_SECONDS` = 1 here): the same ingest process
 * serves both, so nothing but the list differs. Passes alternate the publish floor and
 * the two (floor, with, without; then floor, without, with…) so a drift of the machine
 * falls on all three; each one's ratio to the floor is the mean of its passes', and
 * `relative` is the median over the passes of the run with the list over the one without,
 * which ran back to back.
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
import { sleep } from '../lib/emulators.ts';
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

type Arm = {
  projectId: string;
  url: string;
  key: string;
  /** Fills the list (or empties it) and waits until ingest has read it. */
  suppress: (full: boolean) => Promise<void>;
  stop: () => Promise<void>;
};

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
  const arm = await startArm(bench, cleanup);
  const { publishFloorUrl } = await startFloors(
    { projectId: arm.projectId, emulatorHosts: bench.emulatorHosts },
    cleanup,
  );
  await run(publishFloorUrl, 'x', warmupSeconds);
  await arm.suppress(true);
  await run(arm.url, arm.key, warmupSeconds);
  const floor: HttpScenario[] = [];
  const withRuns: HttpScenario[] = [];
  const withoutRuns: HttpScenario[] = [];
  for (let pass = 0; pass < suppressionPasses; pass += 1) {
    floor.push(await run(publishFloorUrl, 'x', suppressionSeconds));
    for (const full of pass % 2 === 0 ? [true, false] : [false, true]) {
      await arm.suppress(full);
      (full ? withRuns : withoutRuns).push(await run(arm.url, arm.key, suppressionSeconds));
    }
  }
  await arm.stop();
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

/** A stack of its own project, reading its list every second. */
async function startArm(bench: BenchEmulators, cleanup: Cleanup): Promise<Arm> {
  const projectId = `${bench.projectId}-suppressed`;
  const stateDir = await mkdtemp(join(tmpdir(), 'tributary-bench-suppressed-'));
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
    env: { PRIVACY_LIST_CACHE_SECONDS: '1' },
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
  const hasher = new SubjectHasher(Buffer.from(subjectHashKey, 'base64'));
  const hashes = Array.from({ length: suppressedSubjects }, (_, i) =>
    hasher.hash(`suppressed-${i}@example.com`),
  );
  const store = new FirestorePrivacyListStore(firestore);
  let full = false;
  const key = await createApiKey(new FirestoreApiKeyStore(firestore), { name: 'bench-suppressed' });
  return {
    projectId,
    url: `${stack.info.ingestUrl}/v1/events`,
    key: key.key,
    suppress: async (wanted) => {
      if (wanted === full) return;
      for (let start = 0; start < hashes.length; start += perChange)
        await store.append({
          regulationId: randomUUID(),
          op: wanted ? 'suppress' : 'unsuppress',
          hashes: hashes.slice(start, start + perChange),
          at: new Date(),
          until: null,
        });
      full = wanted;
      // The instance reads the list within a second of a request; a few requests make it.
      await run(`${stack.info.ingestUrl}/v1/events`, key.key, 1);
      await sleep(1_500);
    },
    stop: () => stack.stop(),
  };
}

/** The list as an instance holds it: heap, a cold read, and the check per event. */
async function measureHeldList(bench: BenchEmulators) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: `${bench.projectId}-cold`,
      FIRESTORE_EMULATOR_HOST: bench.emulatorHosts.firestore,
    }),
  );
  try {
    const store = new FirestorePrivacyListStore(firestore);
    // A list as a cold instance finds it: the people suppressed in changes of 5,000.
    const hasher = new SubjectHasher(Buffer.alloc(32, 7));
    for (let start = 0; start < suppressedSubjects; start += perChange)
      await store.append({
        regulationId: randomUUID(),
        op: 'suppress',
        hashes: Array.from({ length: perChange }, (_, i) => hasher.hash(`cold-${start + i}`)),
        at: new Date(),
        until: null,
      });
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
