import { FirestoreEventQueries } from '../admin/eventQueries.ts';
import { defaults } from '../lib/defaults.ts';
import { subscriber } from '../lib/subscriber.ts';
import {
  runQuarantineStep,
  type QuarantineReplayDeps,
} from '../admin/trackingPlan/quarantineReplay.ts';
import { FirestoreQuarantineReplayStore } from '../admin/trackingPlan/quarantineReplayStore.ts';
import type { Runtime } from '../runtime.ts';
import type { EntryPoints } from './entryPoint.ts';
import { eventStatusStore, planGate, planStore } from './shared.ts';

/** What `replayQuarantine` and the plan's routes use to replay quarantined events. */
export function quarantineReplayDeps(runtime: Runtime): QuarantineReplayDeps {
  return runtime.shared('quarantineReplay', () => {
    const store = planStore(runtime);
    return {
      events: eventStatusStore(runtime),
      queries: new FirestoreEventQueries(runtime.firestore),
      jobs: new FirestoreQuarantineReplayStore(runtime.firestore),
      eventQueue: runtime.eventQueue,
      publisher: runtime.publisher,
      plan: () => store.current(),
      checker: planGate(runtime).checker,
      now: () => new Date(),
      ttlDays: runtime.config.eventTtlDays,
      pageSize: defaults.quarantineReplayPageSize,
      concurrency: defaults.replayConcurrency,
      jobTtlDays: defaults.quarantineReplayTtlDays,
      logger: runtime.logger,
    };
  });
}

export function entryPoints(runtime: Runtime): EntryPoints {
  return {
    replayQuarantine: {
      signature: 'cloudevent',
      handler: subscriber(
        'replayQuarantine',
        () => quarantineReplayDeps(runtime),
        runQuarantineStep,
      ),
    },
  };
}
