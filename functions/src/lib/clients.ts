import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import type { Config } from './config.ts';

/**
 * Google clients, created once per process. The emulator hosts in the config are
 * passed explicitly, so what the config says is what the clients use.
 */
export function createFirestore(config: Config): Firestore {
  if (config.firestoreEmulatorHost) skipMetadataServer();
  return new Firestore({
    projectId: config.projectId,
    ignoreUndefinedProperties: true,
    ...(config.firestoreEmulatorHost ? emulatorSettings(config.firestoreEmulatorHost) : {}),
  });
}

export function createPubSub(config: Config): PubSub {
  if (config.pubsubEmulatorHost) skipMetadataServer();
  return new PubSub({
    projectId: config.projectId,
    ...(config.pubsubEmulatorHost
      ? { apiEndpoint: config.pubsubEmulatorHost, emulatorMode: true }
      : {}),
  });
}

function emulatorSettings(host: string): { host: string; ssl: boolean } {
  return { host, ssl: false };
}

/** Against the emulators there is no metadata server to ask for credentials. */
function skipMetadataServer(): void {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
}
