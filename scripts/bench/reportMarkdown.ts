/** A BenchResult as bench/results/latest.md; the chart beside it is reportChart.ts's. */
import type { BenchResult, SustainedRun } from './results.ts';
import {
  batchSection,
  cpuSection,
  instancesSection,
  pathsSection,
  row,
  trackingPlanSection,
  usd,
} from './reportSections.ts';
import { round } from './stats.ts';

function sustainedNote(run: SustainedRun, what: string): string {
  const ingest =
    run.ingestP50Ms === undefined
      ? ''
      : `; ingest answered in ${run.ingestP50Ms} / ${run.ingestP99Ms} ms`;
  const shape =
    run.eventsPerMessage === undefined ? '' : `; ${run.eventsPerMessage} events a message`;
  return `${run.events} events, ${what}${shape}${ingest}`;
}

export function renderMarkdown(result: BenchResult): string {
  const lines = [
    `# Benchmark, ${result.measuredAt}`,
    '',
    `${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGib} GiB, Node ${result.machine.node}; everything on 127.0.0.1 against the emulators.`,
    '',
    row(['scenario', 'events/s', 'requests/s', 'p50 ms', 'p99 ms', 'note']),
    row(['---', '---:', '---:', '---:', '---:', '---']),
    row([
      'bare framework (floor)',
      '',
      result.floor.requestsPerSecond,
      result.floor.p50Ms,
      result.floor.p99Ms,
      '202 and nothing else',
    ]),
    row([
      'bare framework + publish (floor with the client)',
      '',
      result.publishFloor.requestsPerSecond,
      result.publishFloor.p50Ms,
      result.publishFloor.p99Ms,
      `publish the body, then 202: ${round(result.publishFloor.requestsPerSecond / result.floor.requestsPerSecond)}× the floor`,
    ]),
    row([
      'POST /v1/events',
      result.ingestSingle.eventsPerSecond,
      result.ingestSingle.requestsPerSecond,
      result.ingestSingle.p50Ms,
      result.ingestSingle.p99Ms,
      `${result.ingestSingle.ratioToFloor}× the floor, ${result.ingestSingle.ratioToPublishFloor}× the floor with the client`,
    ]),
    row([
      'POST /v1/events, a lone request (one connection)',
      '',
      result.ingestLone.requestsPerSecond,
      result.ingestLone.p50Ms,
      result.ingestLone.p99Ms,
      `the publish floor on one connection: ${result.ingestLone.publishFloorP50Ms} / ${result.ingestLone.publishFloorP99Ms} ms`,
    ]),
    row([
      'POST /v1/events/batch (500)',
      result.ingestBatch.eventsPerSecond,
      result.ingestBatch.requestsPerSecond,
      result.ingestBatch.p50Ms,
      result.ingestBatch.p99Ms,
      `${result.ingestBatch.ratioToRawPublish}× raw client publish (${result.ingestBatch.rawPublishPerSecond}/s)`,
    ]),
    ...(result.trackingBatch
      ? [
          row([
            `POST /v1/batch, tracking API (${result.trackingBatch.batchSize})`,
            result.trackingBatch.eventsPerSecond,
            '',
            result.trackingBatch.p50Ms,
            result.trackingBatch.p99Ms,
            `${result.trackingBatch.ratioToEventsBatch}× /v1/events/batch in the same passes (${result.trackingBatch.eventsBatchPerSecond}/s; passes ${result.trackingBatch.passRatios.join(', ')})`,
          ]),
        ]
      : []),
    ...(result.browserPath
      ? [
          row([
            'POST /v1/p, from a page (analytics.js)',
            result.browserPath.pagesPerSecond,
            result.browserPath.pagesPerSecond,
            result.browserPath.p50Ms,
            result.browserPath.p99Ms,
            `${result.browserPath.ratioToEvents}× POST /v1/events in the same passes (${result.browserPath.eventsPerSecond}/s; passes ${result.browserPath.passRatios.join(', ')}); tracker.js ${result.browserPath.trackerGzipBytes} bytes gzipped`,
          ]),
        ]
      : []),
    row([
      'emulator push to a bare endpoint (ceiling)',
      result.pushCeiling.messagesPerSecond,
      '',
      '',
      '',
      `at most ${result.pushCeiling.maxConcurrentPushes} pushes in flight per subscription`,
    ]),
    row([
      'end to end, 202 → PROCESSED',
      result.endToEnd.eventsPerSecond,
      '',
      result.endToEnd.p50Ms,
      result.endToEnd.p99Ms,
      `${result.endToEnd.events} events, one per request; ${result.endToEnd.ratioToIngestSingle}× ingest alone; ${result.endToEnd.eventsPerMessage} events a message (${result.endToEnd.messagesPerSecond} pushes/s: ${result.endToEnd.ratioToPushCeiling}× the push ceiling, ${result.endToEnd.ratioToServiceCeiling}× the ceiling at processEvent's service time)`,
    ]),
    row([
      'processEvent, one push',
      result.process.serviceCeilingPerSecond,
      '',
      result.process.serviceTimeMs,
      result.process.serviceTimeP99Ms,
      `service time; one Firestore write ${result.process.firestoreWriteMs} ms, one publish ${result.process.publishMs} ms alone, ${result.process.claimInDrainMs} ms and ${result.process.publishInDrainMs} ms in the drain (${result.process.probePushesPerSecond} pushes/s); ${result.process.cpuMsPerEvent} ms CPU per event`,
    ]),
    row([
      'floor: framework, one create, one publish',
      '',
      '',
      result.process.floor.serviceTimeMs,
      '',
      `service time of the same drain with no validation, logging or decisions (${result.process.floor.pushesPerSecond} pushes/s); ${result.process.floor.cpuMsPerEvent} ms CPU per event; processEvent alone ${result.process.probeCpuMsPerEvent} ms (${result.process.ratioToFloorCpu}× the floor's CPU, ${result.process.ratioToFloorServiceTime}× its service time)`,
    ]),
    ...(result.endToEnd.warehouse
      ? [
          row([
            'end to end, 202 → warehouse',
            result.endToEnd.warehouse.eventsPerSecond,
            '',
            result.endToEnd.warehouse.p50Ms,
            result.endToEnd.warehouse.p99Ms,
            `${result.endToEnd.warehouse.events} events, loader runs back to back`,
          ]),
        ]
      : []),
    row([
      `sustained ${result.sustained.targetPerSecond}/s for ${result.sustained.seconds} s`,
      result.sustained.targetPerSecond,
      '',
      result.sustained.p50Ms,
      result.sustained.p99Ms,
      sustainedNote(result.sustained, '202 → PROCESSED'),
    ]),
    row([
      `sustained ${result.sustainedWithinCapacity.targetPerSecond}/s for ${result.sustainedWithinCapacity.seconds} s`,
      result.sustainedWithinCapacity.targetPerSecond,
      '',
      result.sustainedWithinCapacity.p50Ms,
      result.sustainedWithinCapacity.p99Ms,
      sustainedNote(result.sustainedWithinCapacity, 'half the end-to-end rate'),
    ]),
    ...cpuSection(result),
    ...batchSection(result),
    ...trackingPlanSection(result.trackingPlan),
    ...pathsSection(result),
    ...instancesSection(result),
    '',
    '## Operations per event',
    '',
    row([
      'events a message',
      'Firestore reads',
      'Firestore writes',
      'writes with Idempotency-Key',
      'TTL deletes',
      'Pub/Sub publishes',
      'Pub/Sub deliveries',
      'function invocations',
      'warehouse calls',
      'rows per call',
    ]),
    row(Array(10).fill('---:')),
    row([
      result.opsPerEvent.eventsPerMessage,
      result.opsPerEvent.firestoreReads,
      result.opsPerEvent.firestoreWrites,
      result.opsPerEvent.withIdempotencyKey.firestoreWrites,
      result.opsPerEvent.firestoreTtlDeletes,
      result.opsPerEvent.pubsubPublishes,
      result.opsPerEvent.pubsubDeliveries,
      result.opsPerEvent.functionInvocations,
      result.opsPerEvent.warehouseWriteCalls ?? 'n/a',
      result.opsPerEvent.rowsPerWarehouseCall ?? 'n/a',
    ]),
    '',
    '## Cost per million events (list prices)',
    '',
    row([
      'functions',
      'Pub/Sub',
      'Firestore',
      'warehouse',
      'total',
      'a month at 1,000/s',
      'a month at 10,000/s',
    ]),
    row(Array(7).fill('---:')),
    row([
      usd(result.costPerMillionEvents.functions),
      usd(result.costPerMillionEvents.pubsub),
      usd(result.costPerMillionEvents.firestore),
      usd(result.costPerMillionEvents.warehouse),
      usd(result.costPerMillionEvents.total),
      usd(result.monthlyCost.at1000PerSecond, 0),
      usd(result.monthlyCost.at10000PerSecond, 0),
    ]),
    '',
    '## Targets',
    '',
    row(['target', 'wanted', 'measured', 'met']),
    row(['---', '---', '---', '---']),
    ...result.targets.map((t) => row([t.name, t.target, t.measured, t.met ? 'yes' : '**no**'])),
    '',
  ];
  return lines.join('\n');
}
