/** A BenchResult as bench/results/latest.md (renderMarkdown) and chart.svg (renderChart). */
import { monthlyCost } from './costModel.ts';
import type { BenchResult, SustainedRun } from './results.ts';
import { round } from './stats.ts';

/** Where the cores went during the end-to-end run, by process. */
function cpuSection(result: BenchResult): string[] {
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
function batchSection(result: BenchResult): string[] {
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

function sustainedNote(run: SustainedRun, what: string): string {
  const ingest =
    run.ingestP50Ms === undefined
      ? ''
      : `; ingest answered in ${run.ingestP50Ms} / ${run.ingestP99Ms} ms`;
  const shape =
    run.eventsPerMessage === undefined ? '' : `; ${run.eventsPerMessage} events a message`;
  return `${run.events} events, ${what}${shape}${ingest}`;
}

/** One event per request beside calls of 500: what each carries, and what it costs. */
function pathsSection(result: BenchResult): string[] {
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
    ...pathsSection(result),
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

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function usd(value: number, digits = 2): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** Two bar charts side by side: events per second, and p50/p99 latency, per scenario. */
export function renderChart(result: BenchResult): string {
  const scenarios = [
    {
      name: 'floor (req/s)',
      rate: result.floor.requestsPerSecond,
      p50: result.floor.p50Ms,
      p99: result.floor.p99Ms,
    },
    {
      name: 'floor + publish',
      rate: result.publishFloor.requestsPerSecond,
      p50: result.publishFloor.p50Ms,
      p99: result.publishFloor.p99Ms,
    },
    {
      name: 'ingest single',
      rate: result.ingestSingle.eventsPerSecond,
      p50: result.ingestSingle.p50Ms,
      p99: result.ingestSingle.p99Ms,
    },
    {
      name: 'ingest batch',
      rate: result.ingestBatch.eventsPerSecond,
      p50: result.ingestBatch.p50Ms,
      p99: result.ingestBatch.p99Ms,
    },
    {
      name: 'end to end',
      rate: result.endToEnd.eventsPerSecond,
      p50: result.endToEnd.p50Ms,
      p99: result.endToEnd.p99Ms,
    },
    {
      name: `sustained ${result.sustained.targetPerSecond}/s`,
      rate: result.sustained.targetPerSecond,
      p50: result.sustained.p50Ms,
      p99: result.sustained.p99Ms,
    },
    {
      name: `sustained ${result.sustainedWithinCapacity.targetPerSecond}/s`,
      rate: result.sustainedWithinCapacity.targetPerSecond,
      p50: result.sustainedWithinCapacity.p50Ms,
      p99: result.sustainedWithinCapacity.p99Ms,
    },
  ];
  const rowHeight = 34;
  const top = 50;
  const labelWidth = 130;
  const barWidth = 300;
  const height = top + scenarios.length * rowHeight + 20;
  const maxRate = Math.max(...scenarios.map((s) => s.rate), 1);
  const maxLatency = Math.max(...scenarios.map((s) => s.p99), 1);
  const bars = scenarios
    .map((s, i) => {
      const y = top + i * rowHeight;
      const rateWidth = (s.rate / maxRate) * barWidth;
      const p50Width = (s.p50 / maxLatency) * barWidth;
      const p99Width = (s.p99 / maxLatency) * barWidth;
      const right = labelWidth + barWidth + 120;
      return [
        `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeXml(s.name)}</text>`,
        `<rect x="${labelWidth}" y="${y + 4}" width="${rateWidth.toFixed(1)}" height="16" fill="#2f6fdf"/>`,
        `<text x="${labelWidth + rateWidth + 4}" y="${y + 16}">${Math.round(s.rate)}</text>`,
        `<rect x="${right}" y="${y + 2}" width="${p99Width.toFixed(1)}" height="10" fill="#e8a33d"/>`,
        `<rect x="${right}" y="${y + 13}" width="${p50Width.toFixed(1)}" height="10" fill="#3a9b5c"/>`,
        `<text x="${right + p99Width + 4}" y="${y + 16}">${s.p50} / ${s.p99} ms</text>`,
      ].join('');
    })
    .join('\n');
  const width = labelWidth + 2 * barWidth + 260;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${labelWidth}" y="24" font-weight="bold">events per second</text>
<text x="${labelWidth + barWidth + 120}" y="24" font-weight="bold">latency p50 (green) / p99 (orange)</text>
${bars}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
