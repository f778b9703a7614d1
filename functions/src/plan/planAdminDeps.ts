import type { EventQueries } from '../admin/eventQueries.ts';
import type { Publisher } from '../lib/publisher.ts';
import type { PlanStore } from './planStore.ts';
import type { QuarantineReplayStore } from './quarantineReplay.ts';
import type { ViolationCounts } from './violationCounts.ts';

/** What the tracking plan's routes use, as part of the api function's deps. */
export type TrackingPlanAdminDeps = {
  store: PlanStore;
  counts: ViolationCounts;
  queries: EventQueries;
  replays: QuarantineReplayStore;
  publisher: Publisher;
  now: () => Date;
  replayTtlDays: number;
};

export type TrackingPlanRouteDeps = { trackingPlan: TrackingPlanAdminDeps };
