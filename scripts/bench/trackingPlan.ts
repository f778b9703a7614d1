/**
 * The batch path with a tracking plan enforced, beside the same path with none: calls of
 * 500 through `/v1/events/batch`, 202 → PROCESSED (or QUARANTINED), sent as the batch
 * path scenario sends them, in alternating passes (ABBA) so a drift in the machine's load
 * falls on both.
 *
 * Each arm has a stack of its own on the same emulators, in a project of its own, whose
 * plan is put in Firestore through the plan store before the stack starts: the plan (50
 * types, quarantine for unplanned types and for violations) in one, the empty plan (no
 * types, every event allowed) in the other. Neither changes during the run, so no pass
 * waits for a cache or pays for schemas compiled again, and the instances read the plan
 * as often as they would deployed. Each arm is confirmed before its warm-up by an event
 * of an unplanned type, quarantined under the plan and processed without, and a stack is
 * warmed again before a run whenever the other ran last. Both send the same bodies:
 * events of the planned types that pass their schemas, but for one in
 * `trackingPlanViolatingEvery`.
 *
 * A run is timed from the events processEvent publishes on `events-processed` (each with
 * its receivedAt and processedAt), read through a subscription of the harness's own,
 * rather than by counting status documents: the emulator counts by scanning the
 * collection, which grows run by run, and would take ever more of the cores the runs
 * share. Quarantined events are settled with the processed ones of their message and
 * counted through the plan's violation counts.
 *
 * `ratioBatch` is events per second with the plan over without, the median of the
 * passes' ratios (as `alternatingPasses` takes them). `cpuRatio` is the CPU of the stack's
 * processEvent process per event (read from /proc, as the batch path's
 * `endToEndBatch.cpu.msPerEvent.processEvent`: CPU over a run ÷ its events) over every
 * pass with the plan, over the same without; the passes' ratios go beside it.
 */
import { createApiKey } from '../../functions/src/ingest/apiKeys.ts';
import { defaults } from '../../functions/src/lib/defaults.ts';
import { median } from './alternatingPasses.ts';
import type { BenchEmulators, Cleanup } from './benchStack.ts';
import { endToEndCpuMeter } from './endToEnd.ts';
import type { TrackingPlanResult, TrackingPlanRun } from './results.ts';
import {
  batchSize,
  log,
  trackingPlanPassEvents,
  trackingPlanPasses,
  trackingPlanRewarmEvents,
  trackingPlanTypes,
  trackingPlanViolatingEvery,
  trackingPlanWarmupEvents,
} from './settings.ts';
import { percentile, round } from './stats.ts';
import {
  batchBodies,
  benchEvent,
  noPlan,
  planFile,
  plannedTypes,
  unplannedType,
} from './trackingPlanEvents.ts';
import {
  quarantinedSoFar,
  sendBatches,
  sendOne,
  startArm,
  waitForQuarantined,
  type Arm,
  type ArmStack,
} from './trackingPlanArms.ts';

const settings = { unplanned: 'quarantine', violations: 'quarantine' } as const;
/** Distinct bodies the connections take in turn. */
const distinctBodies = 20;

/** Run with no other stack on the emulators: after the batch path, which stops its own. */
export async function measureTrackingPlan(
  bench: BenchEmulators,
  cleanup: Cleanup,
): Promise<TrackingPlanResult> {
  const started = performance.now();
  log(
    `Tracking plan: ${trackingPlanTypes} types on the batch path, a stack with the plan and one without…`,
  );
  const types = plannedTypes(trackingPlanTypes);
  const { bodies, violating, events } = batchBodies(types, {
    count: distinctBodies,
    size: batchSize,
    violatingEvery: trackingPlanViolatingEvery,
  });
  const violatingShare = violating / events;
  const requests = bodies.map((body) => ({ method: 'POST' as const, body }));
  // One event of each planned type, and one of a type no plan names.
  const probeBody = JSON.stringify({
    events: [
      ...types.map((_type, t) => benchEvent(types, t)),
      { ...benchEvent(types, 0), eventType: unplannedType },
    ],
  });

  // One after the other: a stack that fails to start stops its own processes, not the other's.
  const arms: Record<Arm, ArmStack> = {
    plan: await startArm(bench, cleanup, 'plan', planFile(types, settings)),
    none: await startArm(bench, cleanup, 'none', noPlan),
  };

  /** `count` events through the arm's stack, until each is settled: processed or quarantined. */
  const run = async (arm: Arm, name: string, count: number, body?: string) => {
    const { keys, url, processed } = arms[arm];
    const key = await createApiKey(keys, { name });
    const quarantinedBefore = await quarantinedSoFar(arms[arm].firestore);
    const sent = body
      ? await sendOne(url, key.key, body)
      : await sendBatches(url, key.key, requests, count);
    // Held under the plan: the probe's unplanned event, or the share of events that break their schemas.
    const held = arm === 'none' ? 0 : body ? 1 : Math.round(sent * violatingShare);
    const times = await processed.settled(key.keyId, sent - held, 600_000);
    const quarantined = await waitForQuarantined(arms[arm].firestore, quarantinedBefore, held);
    return { sent, times, quarantined };
  };

  /** One measured run of the arm: from the first call to the last event settled. */
  const measure = async (arm: Arm, name: string): Promise<TrackingPlanRun> => {
    const { stack } = arms[arm];
    const meter = endToEndCpuMeter({ stack, emulatorGroups: bench.emulatorGroups });
    const pushesBefore = stack.pushesTo('processEvent');
    const { sent, times, quarantined } = await run(arm, name, trackingPlanPassEvents);
    const used = meter.stop();
    const total = Object.values(used.seconds).reduce((sum, seconds) => sum + seconds, 0);
    const latencies = times.map((t) => t.processed - t.received);
    const span =
      (Math.max(...times.map((t) => t.processed)) - Math.min(...times.map((t) => t.received))) /
      1000;
    return {
      events: sent,
      eventsPerSecond: round(sent / span, 0),
      p50Ms: percentile(latencies, 50) ?? 0,
      p99Ms: percentile(latencies, 99) ?? 0,
      processEventCpuMs: ((used.seconds.processEvent ?? 0) * 1000) / sent,
      totalCpuMs: (total * 1000) / sent,
      cpuMsByProcess: Object.fromEntries(
        Object.entries(used.seconds).map(([part, seconds]) => [
          part,
          round((seconds * 1000) / sent, 4),
        ]),
      ),
      quarantined,
      pushes: stack.pushesTo('processEvent') - pushesBefore,
    };
  };

  for (const arm of ['none', 'plan'] as const) {
    // The stack enforces its plan: the probe's unplanned event is held under the plan alone.
    await run(arm, `bench-plan-probe-${arm}`, types.length + 1, probeBody);
    log(
      `Tracking plan: warming the stack ${arm === 'plan' ? 'with' : 'without'} the plan, ${trackingPlanWarmupEvents} events…`,
    );
    await run(arm, `bench-plan-warm-${arm}`, trackingPlanWarmupEvents);
  }
  log(
    `Tracking plan: ${trackingPlanPasses} passes of ${trackingPlanPassEvents} events with and without…`,
  );
  const withPlan: TrackingPlanRun[] = [];
  const withoutPlan: TrackingPlanRun[] = [];
  let last: Arm = 'plan';
  for (let pass = 0; pass < trackingPlanPasses; pass += 1) {
    const order: Arm[] = pass % 2 === 0 ? ['plan', 'none'] : ['none', 'plan'];
    for (const arm of order) {
      // A stack idle through the other's run starts its next one slower and dearer (its
      // processes and the emulator's pushes to it gone cold): warm it again first.
      if (arm !== last) await run(arm, `bench-plan-rewarm-${arm}`, trackingPlanRewarmEvents);
      last = arm;
      (arm === 'plan' ? withPlan : withoutPlan).push(
        await measure(arm, `bench-plan-${arm}-${pass}`),
      );
    }
    const ratio = round(withPlan[pass]!.eventsPerSecond / withoutPlan[pass]!.eventsPerSecond);
    const cpu = round(withPlan[pass]!.processEventCpuMs / withoutPlan[pass]!.processEventCpuMs);
    const seconds = round((performance.now() - started) / 1000, 0);
    log(
      `  pass ${pass + 1}: ${ratio}× the events/s, ${cpu}× processEvent's CPU per event (${seconds} s)`,
    );
  }
  await Promise.all([arms.plan.stop(), arms.none.stop()]);

  const passRatios = withPlan.map(
    (planned, pass) => planned.eventsPerSecond / Math.max(1, withoutPlan[pass]!.eventsPerSecond),
  );
  const cpuPassRatios = withPlan.map(
    (planned, pass) => planned.processEventCpuMs / withoutPlan[pass]!.processEventCpuMs,
  );
  return {
    types: trackingPlanTypes,
    settings,
    violatingEvery: trackingPlanViolatingEvery,
    violatingShare: round(violatingShare, 4),
    cacheSeconds: Number(
      process.env.TRACKING_PLAN_CACHE_SECONDS ?? defaults.trackingPlanCacheSeconds,
    ),
    batchSize,
    rewarmEvents: trackingPlanRewarmEvents,
    withPlan: withPlan.map(shown),
    withoutPlan: withoutPlan.map(shown),
    ratioBatch: round(median(passRatios)),
    passRatios: passRatios.map((ratio) => round(ratio)),
    // CPU per event as the bench counts it, CPU over a run ÷ its events, over every pass of each.
    cpuRatio: round(cpuPerEvent(withPlan) / cpuPerEvent(withoutPlan)),
    cpuPassRatios: cpuPassRatios.map((ratio) => round(ratio)),
  };
}

/** processEvent's CPU milliseconds per event over runs: their CPU together over their events. */
function cpuPerEvent(runs: readonly TrackingPlanRun[]): number {
  const events = runs.reduce((sum, run) => sum + run.events, 0);
  return runs.reduce((sum, run) => sum + run.processEventCpuMs * run.events, 0) / events;
}

/** A run as reported: CPU rounded once the ratios have been taken from the exact figures. */
function shown(run: TrackingPlanRun): TrackingPlanRun {
  return {
    ...run,
    processEventCpuMs: round(run.processEventCpuMs, 4),
    totalCpuMs: round(run.totalCpuMs, 4),
  };
}
