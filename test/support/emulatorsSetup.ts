import type { TestProject } from 'vitest/node';
import {
  checkEmulatorPrerequisites,
  freePort,
  startEmulator,
} from '../../scripts/lib/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubEmulatorHost: string;
    firestoreEmulatorHost: string;
  }
}

/** The real emulators, on free ports, once per test run; each test file uses its own project id. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  checkEmulatorPrerequisites();
  const [pubsubPort, firestorePort] = [await freePort(), await freePort()];
  const started = await Promise.allSettled([
    startEmulator('pubsub', pubsubPort),
    startEmulator('firestore', firestorePort),
  ]);
  const [pubsub, firestore] = started.map((outcome) =>
    outcome.status === 'fulfilled' ? outcome.value : undefined,
  );
  if (!pubsub || !firestore) {
    // One failed to start: stop the other rather than leave it running after the run.
    await Promise.all([pubsub?.stop(), firestore?.stop()]);
    const failure = started.find((outcome) => outcome.status === 'rejected');
    throw failure?.reason;
  }
  project.provide('pubsubEmulatorHost', pubsub.host);
  project.provide('firestoreEmulatorHost', firestore.host);
  return async () => {
    await Promise.all([pubsub.stop(), firestore.stop()]);
  };
}
