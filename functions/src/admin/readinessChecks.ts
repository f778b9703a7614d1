import type { Warehouse } from '../warehouse/warehouse.ts';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { collections, topics } from '../../../infra/spec.ts';
import { defaults } from '../lib/defaults.ts';
import type { ReadinessCheck } from './health.ts';

/**
 * Pub/Sub is ready when we may publish to `events`. In the cloud that is asked with
 * testIamPermissions, which needs no permission of its own; the emulator does not
 * implement it, so there the topic is read instead.
 */
export function pubsubReadiness(
  pubsub: PubSub,
  options: { emulator: boolean; timeoutMs: number },
): ReadinessCheck {
  return {
    name: 'pubsub',
    check: async () => {
      const topic = pubsub.topic(topics.events.name);
      if (options.emulator) {
        await topic.getMetadata({ timeout: options.timeoutMs });
        return;
      }
      const [granted] = await topic.iam.testPermissions(['pubsub.topics.publish']);
      if (!granted['pubsub.topics.publish'])
        throw new Error(`no permission to publish to ${topics.events.name}`);
    },
  };
}

/** Firestore is ready when a document read answers (one read; the document need not exist). */
export function firestoreReadiness(firestore: Firestore): ReadinessCheck {
  return {
    name: 'firestore',
    check: async () => {
      await firestore.collection(collections.events.name).doc('readiness-check').get();
    },
  };
}

/** The warehouse answers a trivial query (the same SQL in BigQuery and DuckDB). */
export function warehouseReadiness(warehouse: () => Warehouse): ReadinessCheck {
  return {
    name: 'warehouse',
    check: async () => {
      await warehouse().query('SELECT 1 AS ok', {});
    },
  };
}

/** One check per dependency of `GET /health/ready`: Pub/Sub, Firestore, the warehouse. */
export function readinessChecks(parts: {
  pubsub: PubSub;
  emulator: boolean;
  firestore: Firestore;
  warehouse: () => Warehouse;
}): ReadinessCheck[] {
  return [
    pubsubReadiness(parts.pubsub, {
      emulator: parts.emulator,
      timeoutMs: defaults.readinessTimeoutMs,
    }),
    firestoreReadiness(parts.firestore),
    warehouseReadiness(parts.warehouse),
  ];
}
