import type { PlanCache } from './planCache.ts';
import type { PlanChecker } from './planChecker.ts';
import type { ViolationCounts } from './violationCounts.ts';
import type { ViolationTally } from './violationTally.ts';

/**
 * What checks events against the tracking plan in one instance: the plan held, its
 * compiled schemas, the day's counts and what this instance has yet to add to them.
 */
export type PlanGate = {
  cache: PlanCache;
  checker: PlanChecker;
  counts: ViolationCounts;
  tally: ViolationTally;
};
