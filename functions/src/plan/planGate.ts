import type { PlanCache } from './planCache.ts';
import type { PlanChecker } from './planChecker.ts';
import type { ViolationCounts } from './violationCounts.ts';

/** What checks events against the tracking plan in one instance: the plan held, its compiled schemas, the day's counts. */
export type PlanGate = { cache: PlanCache; checker: PlanChecker; counts: ViolationCounts };
