/**
 * The scenarios' measurements put together as one BenchResult: the ratios between them,
 * the cost at list prices and the targets.
 */
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { functions } from '../../infra/spec.ts';
import type { BatchIngest } from './batchIngest.ts';
import type { BatchPath } from './batchPath.ts';
import { costPerMillionEvents, monthlyCost, type OpsPerEvent } from './costModel.ts';
import type { EndToEndCpu, Latencies, MessageShape } from './endToEnd.ts';
import type { ProcessProbe } from './processProbe.ts';
import type { BenchResult, BrowserPathResult, TrackingPlanResult } from './results.ts';
import { endToEndEvents, sampleEvent } from './settings.ts';
import type { SingleEvents } from './singleEvents.ts';
import { round } from './stats.ts';
import { targetsFor, type MeasuredResult } from './targets.ts';

export type Measurements = {
  single: SingleEvents;
  browserPath: BrowserPathResult;
  batch: BatchIngest;
  pushCeiling: BenchResult['pushCeiling'];
  endToEnd: { latencies: Latencies; cpu: EndToEndCpu; messages: MessageShape };
  sustained: Pick<BenchResult, 'sustained' | 'sustainedWithinCapacity'>;
  operations: {
    ops: BenchResult['opsPerEvent'];
    warehouse: NonNullable<BenchResult['endToEnd']['warehouse']>;
  };
  probe: ProcessProbe;
  /** The same drain served by the floor handler instead of processEvent. */
  floorProbe: ProcessProbe;
  batchPath: BatchPath;
  trackingPlan: TrackingPlanResult;
  batchOps: Omit<OpsPerEvent, 'warehouseBytes'>;
  coldStart: BenchResult['coldStart'];
  rateLimitAcrossInstances: MeasuredResult['rateLimitAcrossInstances'];
  endpointFailureWrites: MeasuredResult['endpointFailureWrites'];
};

export function assembleResult(m: Measurements): BenchResult {
  const { ingestCpuPerEvent } = m.single;
  const { latencies, cpu, messages } = m.endToEnd;
  const messagesPerSecond = latencies.eventsPerSecond / messages.eventsPerMessage;
  const processCpuPerEvent = (cpu.msPerEvent.processEvent ?? 0) / 1000;
  const totalCpuMsPerEvent = Object.values(cpu.msPerEvent).reduce((sum, ms) => sum + ms, 0);
  const cpuCeiling = (cpu.cores * 1000) / totalCpuMsPerEvent;
  const { ops, warehouse } = m.operations;
  const { probe } = m;
  const serviceCeiling = m.pushCeiling.maxConcurrentPushes / (probe.serviceTimeMs / 1000);

  const memoryGib = Math.max(
    ...functions
      .filter((f) => f.name === 'ingest' || f.name === 'processEvent')
      .map((f) => Number.parseInt(f.memory, 10) / 1024),
  );
  const cpuSecondsPerEvent = { ingest: ingestCpuPerEvent, processEvent: processCpuPerEvent };
  const messageBytes = Buffer.byteLength(
    JSON.stringify({
      ...sampleEvent,
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
      processedAt: new Date().toISOString(),
      source: 'api',
      producer: 'key_0123456789abcdef',
    }),
  );
  const cost = costPerMillionEvents(
    ops,
    { cpuSeconds: ingestCpuPerEvent + processCpuPerEvent, memoryGib },
    messageBytes,
  );
  // The batch path: its functions' CPU measured end to end; a message's bytes are its events'.
  const batchCpu = m.batchPath.endToEndBatch.cpu.msPerEvent;
  const batchCpuSeconds = ((batchCpu.ingest ?? 0) + (batchCpu.processEvent ?? 0)) / 1000;
  const opsBatch: OpsPerEvent = { ...m.batchOps, warehouseBytes: ops.warehouseBytes };
  const costBatch = costPerMillionEvents(
    opsBatch,
    { cpuSeconds: batchCpuSeconds, memoryGib },
    messageBytes,
  );
  const batchTotalCpu = Object.values(batchCpu).reduce((sum, ms) => sum + ms, 0);

  const measured: MeasuredResult = {
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGib: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
    },
    coldStart: m.coldStart,
    rateLimitAcrossInstances: m.rateLimitAcrossInstances,
    endpointFailureWrites: m.endpointFailureWrites,
    floor: m.single.floor,
    publishFloor: m.single.publishFloor,
    ingestSingle: m.single.ingestSingle,
    ingestBatch: m.batch.ingestBatch,
    trackingBatch: m.batch.trackingBatch,
    browserPath: m.browserPath,
    pushCeiling: m.pushCeiling,
    ingestLone: m.single.ingestLone,
    endToEnd: {
      events: endToEndEvents,
      ...latencies,
      eventsPerMessage: messages.eventsPerMessage,
      messagesPerSecond: round(messagesPerSecond, 0),
      ratioToIngestSingle: round(latencies.eventsPerSecond / m.single.ingestSingle.eventsPerSecond),
      // The emulator's ceilings are per push: a push now carries a message of events.
      ratioToPushCeiling: round(messagesPerSecond / m.pushCeiling.messagesPerSecond),
      ratioToServiceCeiling: round(messagesPerSecond / serviceCeiling),
      cpu: {
        ...cpu,
        totalMsPerEvent: round(totalCpuMsPerEvent, 3),
        ceilingPerSecond: round(cpuCeiling, 0),
        ratioToCpuCeiling: round(latencies.eventsPerSecond / cpuCeiling),
      },
      warehouse,
    },
    process: {
      serviceTimeMs: probe.serviceTimeMs,
      serviceTimeP99Ms: probe.serviceTimeP99Ms,
      firestoreWriteMs: probe.firestoreWriteMs,
      publishMs: probe.publishMs,
      cpuMsPerEvent: round(processCpuPerEvent * 1000, 3),
      probeCpuMsPerEvent: probe.cpuMsPerEvent,
      serviceCeilingPerSecond: round(serviceCeiling, 0),
      claimInDrainMs: probe.claimInDrainMs,
      publishInDrainMs: probe.publishInDrainMs,
      probePushesPerSecond: probe.pushesPerSecond,
      floor: {
        serviceTimeMs: m.floorProbe.serviceTimeMs,
        cpuMsPerEvent: m.floorProbe.cpuMsPerEvent,
        pushesPerSecond: m.floorProbe.pushesPerSecond,
      },
      ratioToFloorCpu: round(probe.cpuMsPerEvent / m.floorProbe.cpuMsPerEvent),
      ratioToFloorServiceTime: round(probe.serviceTimeMs / m.floorProbe.serviceTimeMs),
    },
    sustained: m.sustained.sustained,
    sustainedWithinCapacity: m.sustained.sustainedWithinCapacity,
    endToEndBatch: {
      ...m.batchPath.endToEndBatch,
      cpu: {
        msPerEvent: batchCpu,
        totalMsPerEvent: round(batchTotalCpu, 3),
        machineBusy: m.batchPath.endToEndBatch.cpu.machineBusy,
      },
      floor: m.batchPath.floor,
      ratioToFloor: round(
        m.batchPath.endToEndBatch.eventsPerSecond / m.batchPath.floor.documentsPerSecond,
      ),
    },
    sustainedBatch: m.batchPath.sustainedBatch,
    trackingPlan: m.trackingPlan,
    opsPerEventBatch: opsBatch,
    costPerMillionEventsBatch: roundAll(costBatch),
    opsPerEvent: ops,
    cpuSecondsPerEvent: Object.fromEntries(
      Object.entries(cpuSecondsPerEvent).map(([k, v]) => [k, round(v, 6)]),
    ),
    costPerMillionEvents: roundAll(cost),
    monthlyCost: {
      at1000PerSecond: round(monthlyCost(cost.total, 1000), 0),
      at10000PerSecond: round(monthlyCost(cost.total, 10_000), 0),
    },
  };
  return { ...measured, targets: targetsFor(measured) };
}

function roundAll<T extends Record<string, number>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v, 4)])) as T;
}
