/** The report's sections after the headline table, and the table cells every section writes. */
import { monthlyCost } from './costModel.ts';
import type { BenchResult } from './results.ts';

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
