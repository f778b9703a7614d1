import type { EventEnvelope } from '../lib/eventEnvelope.ts';
import type { Logger } from '../lib/logger.ts';
import type { PushedMessage } from '../lib/pushedMessage.ts';
import type { PlanGate } from '../plan/planGate.ts';
import type { PlanVerdict } from '../plan/trackingPlan.ts';
import type { EventRecord } from './eventRecord.ts';
import type { CreateResult } from './eventStatusStore.ts';
import { processedRecord, quarantinedRecord, type TransitionContext } from './eventTransitions.ts';

/** What processing asks of the tracking plan: each event's verdict, and the day's counts. */

type PlanDeps = { plan?: PlanGate; logger: Logger };

/** The message attribute naming the plan revision its events were last checked against. */
export const planRevisionAttribute = 'planRevision';

/** What the plan says of each event; with no plan, every event passes. */
export async function checkAgainstPlan(
  envelopes: readonly EventEnvelope[],
  message: PushedMessage,
  deps: PlanDeps,
): Promise<PlanVerdict[]> {
  if (!deps.plan || envelopes.length === 0) return envelopes.map(() => passed);
  const revision = Number(message.attributes?.[planRevisionAttribute] ?? 0);
  const plan = await deps.plan.cache.current(Number.isFinite(revision) ? revision : 0);
  await deps.plan.checker.ready(plan);
  return envelopes.map((envelope) => deps.plan!.checker.check(plan, envelope));
}

const passed: PlanVerdict = { kind: 'pass', version: null };

/** Whether the plan keeps the event back: quarantined, or blocked (which here means the same). */
export function holds(verdict: PlanVerdict): boolean {
  return verdict.kind === 'violations' && verdict.enforcement !== 'allow';
}

/** The record a first delivery claims the event with: processed (with any allowed violations) or quarantined. */
export function claimRecord(
  envelope: EventEnvelope,
  verdict: PlanVerdict,
  context: TransitionContext,
): EventRecord {
  if (verdict.kind === 'pass') return processedRecord(undefined, envelope, context);
  if (holds(verdict)) return quarantinedRecord(undefined, envelope, verdict.violations, context);
  return processedRecord(undefined, envelope, context, verdict.violations);
}

/**
 * Adds the events this delivery found breaking the plan for the first time (its own
 * claim wrote them) to the instance's tally: a redelivery's claim finds the record and
 * counts nothing again. The tally is written beside a later delivery's claims.
 */
export function countViolations(
  envelopes: readonly EventEnvelope[],
  verdicts: readonly PlanVerdict[],
  claims: readonly CreateResult[],
  context: TransitionContext,
  deps: PlanDeps,
): void {
  if (!deps.plan) return;
  const byType = new Map<string, number>();
  envelopes.forEach((envelope, index) => {
    if (verdicts[index]!.kind !== 'violations' || claims[index]!.kind !== 'written') return;
    byType.set(envelope.eventType, (byType.get(envelope.eventType) ?? 0) + 1);
  });
  deps.plan.tally.add(context.now.toISOString().slice(0, 10), byType);
}
