import { maxRegulationAttempts } from '../../../infra/spec.ts';
import { defaults } from '../lib/defaults.ts';
import { subscriber } from '../lib/subscriber.ts';
import { FirestorePrivacyListStore } from '../privacy/privacyListStore.ts';
import { FirestoreRegulationStore } from '../regulations/regulationStore.ts';
import {
  recordFailedRegulation,
  runRegulation,
  type RegulationDeps,
} from '../regulations/runRegulation.ts';
import type { Runtime } from '../runtime.ts';
import type { EntryPoints } from './entryPoint.ts';
import { webhookRouter } from './shared.ts';

/** What `runRegulation` and `recordFailedRegulation` are given, built once per runtime. */
export function regulationDeps(runtime: Runtime): RegulationDeps {
  return runtime.shared('regulations', () => ({
    regulations: new FirestoreRegulationStore(runtime.firestore),
    list: new FirestorePrivacyListStore(runtime.firestore),
    firestore: runtime.firestore,
    warehouse: runtime.warehouse,
    webhooks: webhookRouter(runtime),
    publisher: runtime.publisher,
    now: () => new Date(),
    listMaxAgeMs: runtime.config.privacyListCacheSeconds * 1000,
    sweepMarginMs: defaults.privacySweepMarginMs,
    tombstoneDays: defaults.erasureTombstoneDays,
    erasedEventTtlDays: defaults.erasedEventTtlDays,
    maxAttempts: maxRegulationAttempts,
    logger: runtime.logger,
  }));
}

export function entryPoints(runtime: Runtime): EntryPoints {
  const deps = () => regulationDeps(runtime);
  return {
    runRegulation: {
      signature: 'cloudevent',
      handler: subscriber('runRegulation', deps, runRegulation),
    },
    recordFailedRegulation: {
      signature: 'cloudevent',
      handler: subscriber('recordFailedRegulation', deps, recordFailedRegulation),
    },
  };
}
