import type { EventQueries } from '../eventQueries.ts';
import type { Publisher } from '../../lib/publisher.ts';
import type { PlanStore } from '../../plan/planStore.ts';
import type { QuarantineReplayStore } from './quarantineReplay.ts';
import type { ViolationCounts } from '../../plan/violationCounts.ts';
import type { ViolationExamples } from './violationExamples.ts';

/** What the tracking plan's routes use, as part of the api function's deps. */
export type TrackingPlanAdminDeps = {
  store: PlanStore;
  counts: ViolationCounts;
  examples: ViolationExamples;
  queries: EventQueries;
  replays: QuarantineReplayStore;
  publisher: Publisher;
  now: () => Date;
  replayTtlDays: number;
};

export type TrackingPlanRouteDeps = { trackingPlan: TrackingPlanAdminDeps };
