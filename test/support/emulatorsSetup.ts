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
  const [pubsub, firestore] = await Promise.all([
    startEmulator('pubsub', pubsubPort),
    startEmulator('firestore', firestorePort),
  ]);
  project.provide('pubsubEmulatorHost', pubsub.host);
  project.provide('firestoreEmulatorHost', firestore.host);
  return async () => {
    await Promise.all([pubsub.stop(), firestore.stop()]);
  };
}
