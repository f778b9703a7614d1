import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { warehouseLoaderSubscription } from '../../../infra/spec.ts';
import type { Config } from '../lib/config.ts';
import { defaults } from '../lib/defaults.ts';
import type { Logger } from '../lib/logger.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { LoadWarehouseDeps } from './handler.ts';
import { PubSubPullSource } from './pullSource.ts';
import { FirestoreRejectionStore } from './rejectionStore.ts';
import type { Warehouse } from './warehouse.ts';

/** The loader's parts; the pull source is returned too, for the runtime to close. */
export function buildLoaderDeps(parts: {
  config: Config;
  pubsub: PubSub;
  firestore: Firestore;
  publisher: Publisher;
  warehouse: Warehouse;
  logger: Logger;
}): { deps: LoadWarehouseDeps; pullSource: PubSubPullSource } {
  const { config } = parts;
  const pullSource = new PubSubPullSource(parts.pubsub, {
    projectId: config.projectId,
    subscription: warehouseLoaderSubscription,
    pullTimeoutMs: defaults.warehousePullTimeoutMs,
  });
  const deps: LoadWarehouseDeps = {
    source: pullSource,
    publisher: parts.publisher,
    warehouse: parts.warehouse,
    rejections: new FirestoreRejectionStore(parts.firestore, { ttlDays: config.eventTtlDays }),
    logger: parts.logger,
    now: () => new Date(),
    clock: () => Date.now(),
    limits: {
      batchRows: config.warehouseBatchRows,
      maxRowsPerRun: config.warehouseMaxRowsPerRun,
      maxEventsPerMessage: config.messageLimits.maxEvents,
      runBudgetMs: config.warehouseRunSeconds * 1000,
      pullConcurrency: defaults.warehousePullConcurrency,
      batchWaitMs: defaults.warehouseBatchWaitMs,
      maxMessagesPerPull: defaults.pullMaxMessages,
    },
  };
  return { deps, pullSource };
}
