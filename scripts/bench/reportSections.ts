/** The report's sections after the headline table, and the table cells every section writes. */
import { monthlyCost } from './costModel.ts';
import { round } from './stats.ts';
import type {
  BenchResult,
  HttpScenario,
  SuppressionResult,
  TrackingPlanResult,
  TrackingPlanRun,
} from './results.ts';

/** Where the cores went during the end-to-end run, by process. */
export function cpuSection(result: BenchResult): string[] {
  const cpu = result.endToEnd.cpu;
  const names = Object.keys(cpu.msPerEvent);
  return [
    '',
    '## CPU per event, end to end',
    '',
    row([...names, 'total', 'machine busy', 'what the cores allow']),
    row(Array(names.length + 3).fill('---:')),
    row([
      ...names.map((name) => `${cpu.msPerEvent[name]} ms`),
      `${cpu.totalMsPerEvent} ms`,
      `${Math.round(cpu.machineBusy * 100)}% of ${cpu.cores} cores`,
      `${cpu.ceilingPerSecond}/s (the run: ${cpu.ratioToCpuCeiling}×)`,
    ]),
  ];
}

/** The batch path: events that come many to a call, as messages of many events. */
export function batchSection(result: BenchResult): string[] {
  const batch = result.endToEndBatch;
  const ops = result.opsPerEventBatch;
  const cost = result.costPerMillionEventsBatch;
  const names = Object.keys(batch.cpu.msPerEvent);
  return [
    '',
    '## Many events per message (calls of 500)',
    '',
    row(['scenario', 'events/s', 'p50 ms', 'p99 ms', 'note']),
    row(['---', '---:', '---:', '---:', '---']),
    row([
      'end to end, 202 → PROCESSED',
      batch.eventsPerSecond,
      batch.p50Ms,
      batch.p99Ms,
      `${batch.events} events; ${batch.ratioToFloor}× the floor`,
    ]),
    row([
      'floor: the same status documents, the same batched calls, alone',
      batch.floor.documentsPerSecond,
      '',
      '',
      `${batch.floor.documentsPerCall} documents a call, two calls in flight`,
    ]),
    row([
      `sustained ${result.sustainedBatch.targetPerSecond}/s for ${result.sustainedBatch.seconds} s`,
      result.sustainedBatch.targetPerSecond,
      result.sustainedBatch.p50Ms,
      result.sustainedBatch.p99Ms,
      `${result.sustainedBatch.events} events, 202 → PROCESSED`,
    ]),
    '',
    row([...names.map((name) => `${name} CPU`), 'total', 'machine busy']),
    row(Array(names.length + 2).fill('---:')),
    row([
      ...names.map((name) => `${batch.cpu.msPerEvent[name]} ms`),
      `${batch.cpu.totalMsPerEvent} ms`,
      `${Math.round(batch.cpu.machineBusy * 100)}%`,
    ]),
    '',
    row([
      'Firestore reads',
      'Firestore writes',
      'Pub/Sub publishes',
      'function invocations',
      'cost per million',
      'a month at 10,000/s',
    ]),
    row(Array(6).fill('---:')),
    row([
      ops.firestoreReads,
      ops.firestoreWrites,
      ops.pubsubPublishes,
      ops.functionInvocations,
      `${usd(cost.total)} (Firestore ${usd(cost.firestore)}, functions ${usd(cost.functions)}, Pub/Sub ${usd(cost.pubsub)})`,
      usd(monthlyCost(cost.total, 10_000), 0),
    ]),
  ];
}

/** One run of the tracking plan's scenario, as its table's cells after the pass and the plan. */
function planRunCells(run: TrackingPlanRun): (string | number)[] {
  return [
    run.eventsPerSecond,
    run.p50Ms,
    run.p99Ms,
    `${run.processEventCpuMs} ms`,
    `${run.totalCpuMs} ms`,
    run.quarantined,
    run.pushes,
  ];
}

/** The batch path with a tracking plan enforced beside it with none, pass by pass. */
export function trackingPlanSection(plan: TrackingPlanResult | undefined): string[] {
  if (!plan) return [];
  const violations =
    plan.violatingEvery > 0
      ? `one event in ${plan.violatingEvery} (${round(plan.violatingShare * 100, 1)}%) breaks its schema (a required property missing, one the schema does not name, a bad format or a wrong type, in turn) and is quarantined under the plan; the rest pass`
      : 'every event passes its schema';
  return [
    '',
    `## Tracking plan on the batch path (${plan.types} types, unplanned: ${plan.settings.unplanned}, violations: ${plan.settings.violations})`,
    '',
    `Calls of ${plan.batchSize} through \`/v1/events/batch\`, 202 → PROCESSED or QUARANTINED, in alternating passes on two stacks on the same emulators: one with the plan, one with the empty plan (no types, every event allowed), each put in Firestore before its stack started and read by its instances every ${plan.cacheSeconds} s as deployed. Both send the same events, of the planned types (schemas of 4–8 typed properties, some required, some with a format, no others allowed): ${violations}. Each stack is confirmed by an event of an unplanned type and warmed before the passes, and warmed again (${plan.rewarmEvents} events, unmeasured) before a run whenever the other stack ran last; a run is timed from the events processEvent publishes (their receivedAt and processedAt, read from \`events-processed\` through a subscription of the harness's own, so no count of status documents loads the emulator), and the quarantined ones are counted through the plan's violation counts; the warehouse loader is out of both stacks. processEvent's CPU is its process's, per event; a push more than one per call is a message delivered again. Events/s with the plan over without: **${plan.ratioBatch}×** (passes ${plan.passRatios.join(', ')}); processEvent's CPU per event over every pass: **${plan.cpuRatio}×** (the passes' ratios ${plan.cpuPassRatios.join(', ')}).`,
    '',
    row([
      'pass',
      'plan',
      'events/s',
      'p50 ms',
      'p99 ms',
      'processEvent CPU',
      'total CPU',
      'quarantined',
      'pushes',
    ]),
    row(['---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...plan.withPlan.flatMap((run, pass) => [
      row([pass + 1, 'with', ...planRunCells(run)]),
      row([pass + 1, 'without', ...planRunCells(plan.withoutPlan[pass]!)]),
    ]),
  ];
}

const suppressionCells = (run: HttpScenario) => [run.requestsPerSecond, run.p50Ms, run.p99Ms];

export function suppressionSection(result: SuppressionResult | undefined): string[] {
  if (!result) return [];
  return [
    '',
    `## Suppression: single events with ${result.suppressedSubjects.toLocaleString('en-US')} people suppressed`,
    '',
    `\`POST /v1/events\` one event at a time on one stack whose suppression list is filled with ${result.suppressedSubjects.toLocaleString('en-US')} keyed hashes before each run with it and emptied before each run without (read by the instance every second here; every ${result.cacheSeconds} s as deployed), in passes of ${result.passSeconds} s alternating with the publish floor (floor, with, without; then floor, without, with). The bench's user is not suppressed, so both answer 202 and publish. Over the publish floor: **${result.ratioToPublishFloorWith}×** with the list, **${result.ratioToPublishFloorWithout}×** without; with over without, the median of the passes, **${result.relative}×** (passes ${result.passRatios.join(', ')}). Held by an instance: ${result.subjectsHeld.toLocaleString('en-US')} subjects in ${result.heldListMb} MB of heap, read cold in ${result.coldReadMs} ms and applied in ${result.applyMs} ms (one read of the list's head per refresh when nothing changed); the check of one event costs ${result.checkMicroseconds} µs.`,
    '',
    row(['pass', 'arm', 'requests/s', 'p50 ms', 'p99 ms']),
    row(['---:', '---', '---:', '---:', '---:']),
    ...result.floor.flatMap((floor, pass) => [
      row([pass + 1, 'publish floor', ...suppressionCells(floor)]),
      row([pass + 1, 'with the list', ...suppressionCells(result.withList[pass]!)]),
      row([pass + 1, 'empty list', ...suppressionCells(result.withoutList[pass]!)]),
    ]),
  ];
}

/** One event per request beside calls of 500: what each carries, and what it costs. */
export function pathsSection(result: BenchResult): string[] {
  const single = result.opsPerEvent;
  const batch = result.opsPerEventBatch;
  return [
    '',
    '## The two paths side by side',
    '',
    row(['', 'one event per request', 'calls of 500']),
    row(['---', '---:', '---:']),
    row([
      'end to end, events/s',
      result.endToEnd.eventsPerSecond,
      result.endToEndBatch.eventsPerSecond,
    ]),
    row([
      'sustained p99 (rate)',
      `${result.sustained.p99Ms} ms (${result.sustained.targetPerSecond}/s)`,
      `${result.sustainedBatch.p99Ms} ms (${result.sustainedBatch.targetPerSecond}/s)`,
    ]),
    row(['events a message', result.endToEnd.eventsPerMessage, '500 (one call)']),
    row(['function invocations per event', single.functionInvocations, batch.functionInvocations]),
    row(['Firestore writes per event', single.firestoreWrites, batch.firestoreWrites]),
    row([
      'processEvent CPU per event',
      `${result.process.cpuMsPerEvent} ms`,
      `${result.endToEndBatch.cpu.msPerEvent.processEvent ?? 0} ms`,
    ]),
    row([
      'cost per million events',
      usd(result.costPerMillionEvents.total),
      usd(result.costPerMillionEventsBatch.total),
    ]),
  ];
}

/** What changes with many instances: limits across them, and a failing endpoint's writes. */
export function instancesSection(result: BenchResult): string[] {
  const limits = result.rateLimitAcrossInstances;
  const endpoint = result.endpointFailureWrites;
  if (!limits || !endpoint) return [];
  return [
    '',
    `## At many instances`,
    '',
    row(['sent at 3× its limit', 'limit', 'accepted a second', 'ratio', 'instances']),
    row(['---', '---:', '---:', '---:', '---:']),
    row([
      'one key',
      `${limits.limitPerSecond}/s`,
      limits.acceptedPerSecond,
      `${limits.ratio}×`,
      limits.instances,
    ]),
    row([
      'one client address, browser key',
      `${limits.browserLimitPerSecond}/s`,
      limits.browserAcceptedPerSecond,
      `${limits.browserRatio}×`,
      limits.instances,
    ]),
    '',
    `A failing webhook endpoint, ${Math.round(endpoint.deliveries / endpoint.seconds)} failed deliveries a second for ${endpoint.seconds} s: at most ${endpoint.perSecond} write a second to any one of its documents (${endpoint.perDocumentMax} in all to the busiest); disabled by the rule: ${endpoint.disabled ? 'yes' : '**no**'}.`,
  ];
}

export function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function usd(value: number, digits = 2): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}
