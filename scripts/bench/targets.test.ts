import { describe, expect, it } from 'vitest';
import type { HttpScenario, TrackingPlanRun } from './results.ts';
import { sustainedRate, sustainedSeconds } from './settings.ts';
import { targetsFor, type MeasuredResult } from './targets.ts';

const http: HttpScenario = {
  requests: 1000,
  requestsPerSecond: 100,
  eventsPerSecond: 100,
  p50Ms: 1,
  p99Ms: 2,
  errors: 0,
};
const latency = {
  targetPerSecond: 1000,
  seconds: 30,
  events: 30_000,
  p50Ms: 10,
  p99Ms: 100,
  eventsPerMessage: 8,
};

const planRun: TrackingPlanRun = {
  events: 10_000,
  eventsPerSecond: 3000,
  p50Ms: 1000,
  p99Ms: 2000,
  processEventCpuMs: 0.16,
  totalCpuMs: 0.6,
  cpuMsByProcess: { processEvent: 0.16 },
  quarantined: 0,
  pushes: 20,
};

/** A run that meets every target. */
const passing: MeasuredResult = {
  measuredAt: '2026-01-01T00:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'test', memoryGib: 4, node: '22' },
  coldStart: {
    ingest: { ms: 1200 },
    api: { ms: 1250 },
    processEvent: { ms: 1100 },
    floor: { ms: 1000 },
    runs: 5,
    ratio: 1.25,
  },
  rateLimitAcrossInstances: {
    instances: 4,
    ratio: 1.02,
    acceptedPerSecond: 51,
    limitPerSecond: 50,
    browserRatio: 0.97,
    browserAcceptedPerSecond: 19.4,
    browserLimitPerSecond: 20,
    refused: 1000,
    errors: 0,
  },
  endpointFailureWrites: {
    perSecond: 1,
    perDocumentMax: 10,
    deliveries: 5000,
    seconds: 10,
    disabled: true,
  },
  floor: http,
  publishFloor: http,
  ingestSingle: { ...http, ratioToFloor: 0.9, ratioToPublishFloor: 1, p50AboveFloorMs: 2 },
  ingestLone: {
    requestsPerSecond: 300,
    p50Ms: 3,
    p99Ms: 5,
    publishFloorP50Ms: 6,
    publishFloorP99Ms: 8,
  },
  ingestBatch: { ...http, rawPublishPerSecond: 100, ratioToRawPublish: 0.7 },
  trackingBatch: {
    batchSize: 500,
    eventsPerSecond: 1000,
    p50Ms: 1,
    p99Ms: 2,
    errors: 0,
    eventsBatchPerSecond: 1000,
    ratioToEventsBatch: 0.95,
    passRatios: [0.95],
  },
  browserPath: {
    pagesPerSecond: 950,
    p50Ms: 1,
    p99Ms: 2,
    errors: 0,
    eventsPerSecond: 1000,
    ratioToEvents: 0.95,
    passRatios: [0.95],
    trackerGzipBytes: 1900,
  },
  pushCeiling: { messagesPerSecond: 1000, maxConcurrentPushes: 10 },
  process: {
    serviceTimeMs: 3,
    serviceTimeP99Ms: 5,
    firestoreWriteMs: 2.5,
    publishMs: 1,
    cpuMsPerEvent: 2,
    probeCpuMsPerEvent: 1.5,
    serviceCeilingPerSecond: 3000,
    claimInDrainMs: 2.8,
    publishInDrainMs: 1.5,
    probePushesPerSecond: 400,
    floor: { serviceTimeMs: 2.8, cpuMsPerEvent: 1.8, pushesPerSecond: 420 },
    ratioToFloorCpu: 1.05,
    ratioToFloorServiceTime: 1.07,
  },
  endToEnd: {
    events: 10_000,
    eventsPerSecond: 1600,
    eventsPerMessage: 20,
    messagesPerSecond: 80,
    ratioToIngestSingle: 0.6,
    ratioToPushCeiling: 0.3,
    ratioToServiceCeiling: 0.1,
    p50Ms: 10,
    p99Ms: 100,
    cpu: {
      msPerEvent: { processEvent: 2 },
      totalMsPerEvent: 2,
      machineBusy: 0.5,
      cores: 2,
      ceilingPerSecond: 1000,
      ratioToCpuCeiling: 0.3,
    },
    warehouse: null,
  },
  sustained: latency,
  sustainedWithinCapacity: latency,
  opsPerEvent: {
    firestoreReads: 0,
    firestoreWrites: 1,
    firestoreTtlDeletes: 1,
    pubsubPublishes: 2,
    pubsubDeliveries: 3,
    functionInvocations: 1.05,
    warehouseBytes: 300,
    eventsPerMessage: 20,
    withIdempotencyKey: { firestoreWrites: 2, firestoreReads: 0 },
    warehouseWriteCalls: null,
    rowsPerWarehouseCall: null,
  },
  cpuSecondsPerEvent: {},
  costPerMillionEvents: { functions: 0.4, pubsub: 0, firestore: 1, warehouse: 0, total: 1.5 },
  monthlyCost: { at1000PerSecond: 0, at10000PerSecond: 0 },
  endToEndBatch: {
    events: 20_000,
    eventsPerSecond: 1600,
    p50Ms: 100,
    p99Ms: 900,
    cpu: { msPerEvent: { processEvent: 0.2 }, totalMsPerEvent: 1, machineBusy: 0.9 },
    floor: { documentsPerSecond: 1800, documentsPerCall: 500 },
    ratioToFloor: 0.89,
  },
  sustainedBatch: { ...latency, targetPerSecond: 1000, events: 30_000 },
  opsPerEventBatch: {
    firestoreReads: 0,
    firestoreWrites: 1,
    firestoreTtlDeletes: 1,
    pubsubPublishes: 0.004,
    pubsubDeliveries: 0.008,
    functionInvocations: 0.004,
    warehouseBytes: 300,
  },
  costPerMillionEventsBatch: { functions: 0, pubsub: 0, firestore: 1, warehouse: 0, total: 1.1 },
  trackingPlan: {
    types: 50,
    settings: { unplanned: 'quarantine', violations: 'quarantine' },
    violatingEvery: 50,
    violatingShare: 0.02,
    cacheSeconds: 30,
    batchSize: 500,
    rewarmEvents: 2000,
    withPlan: [{ ...planRun, eventsPerSecond: 2900, processEventCpuMs: 0.17, quarantined: 200 }],
    withoutPlan: [planRun],
    ratioBatch: 0.97,
    passRatios: [0.97],
    cpuRatio: 1.06,
    cpuPassRatios: [1.06],
  },
};

const planName = (measure: string) =>
  `tracking plan (50 types, quarantine/quarantine): ${measure} with it vs without (trackingPlan.${measure.startsWith('batch') ? 'ratioBatch' : 'cpuRatio'})`;

describe('targetsFor', () => {
  it('meets every target for a run within all of them', () => {
    expect(targetsFor(passing).filter((t) => !t.met)).toEqual([]);
  });

  it("sets processEvent's CPU and service time beside the floor measured in the same run", () => {
    const measured = Object.fromEntries(targetsFor(passing).map((t) => [t.name, t.measured]));
    expect(measured['processEvent CPU per event vs its floor (messages of one)']).toBe(
      '1.05× (1.5 ms beside 1.8 ms)',
    );
    expect(measured['processEvent service time per push vs one Firestore write']).toBe(
      '1.2× (3 ms / 2.5 ms; the floor: 1.12×)',
    );
  });

  it.each<[string, Partial<MeasuredResult>]>([
    [
      'single-event ingest vs the bare framework',
      { ingestSingle: { ...passing.ingestSingle, ratioToFloor: 0.79 } },
    ],
    [
      'batch ingest vs raw client publish',
      { ingestBatch: { ...passing.ingestBatch, ratioToRawPublish: 0.59 } },
    ],
    [
      'tracking API POST /v1/batch vs POST /v1/events/batch',
      { trackingBatch: { ...passing.trackingBatch, ratioToEventsBatch: 0.89 } },
    ],
    [
      'browser POST /v1/p vs POST /v1/events',
      { browserPath: { ...passing.browserPath, ratioToEvents: 0.89 } },
    ],
    ['tracker.js gzipped', { browserPath: { ...passing.browserPath, trackerGzipBytes: 2049 } }],
    [
      `end-to-end p99 at ${sustainedRate}/s for ${sustainedSeconds} s, one event per request`,
      { sustained: { ...latency, p99Ms: 2000 } },
    ],
    [
      'processEvent service time per push vs one Firestore write',
      { process: { ...passing.process, serviceTimeMs: 3.8 } },
    ],
    [
      'end-to-end events/s, one event per request',
      { endToEnd: { ...passing.endToEnd, eventsPerSecond: 1499, ratioToIngestSingle: 0.49 } },
    ],
    [
      'processEvent CPU per event vs its floor (messages of one)',
      { process: { ...passing.process, ratioToFloorCpu: 1.11 } },
    ],
    [
      'processEvent CPU per event, end to end',
      { process: { ...passing.process, cpuMsPerEvent: 2.6 } },
    ],
    [
      'single-event ingest vs the framework publishing each request',
      { ingestSingle: { ...passing.ingestSingle, ratioToPublishFloor: 0.74 } },
    ],
    [
      'single-event ingest p50 above the publish floor’s, under load',
      { ingestSingle: { ...passing.ingestSingle, p50AboveFloorMs: 10.1 } },
    ],
    ['a lone request (one connection), p50', { ingestLone: { ...passing.ingestLone, p50Ms: 6.1 } }],
    [
      'cold start, the slowest function over its floor',
      { coldStart: { ...passing.coldStart, ratio: 1.31 } },
    ],
    [
      'one key at 3× its limit, across instances behind one front door',
      { rateLimitAcrossInstances: { ...passing.rateLimitAcrossInstances, ratio: 1.11 } },
    ],
    [
      'one key at 3× its limit, across instances behind one front door',
      { rateLimitAcrossInstances: { ...passing.rateLimitAcrossInstances, instances: 3 } },
    ],
    [
      'one client address at 3× a browser key’s per-address limit, same instances',
      { rateLimitAcrossInstances: { ...passing.rateLimitAcrossInstances, browserRatio: 0.89 } },
    ],
    [
      'writes to a failing webhook endpoint’s busiest document',
      { endpointFailureWrites: { ...passing.endpointFailureWrites, perSecond: 2 } },
    ],
    [
      'single path function invocations per event',
      { opsPerEvent: { ...passing.opsPerEvent, functionInvocations: 1.11 } },
    ],
    [
      'single path cost per million events',
      { costPerMillionEvents: { ...passing.costPerMillionEvents, total: 1.61 } },
    ],
    [
      'Firestore writes per event without an Idempotency-Key',
      { opsPerEvent: { ...passing.opsPerEvent, firestoreWrites: 2 } },
    ],
    [
      'batch path vs its Firestore floor',
      { endToEndBatch: { ...passing.endToEndBatch, ratioToFloor: 0.59 } },
    ],
    [
      'batch path p99 at 1000/s for 30 s',
      { sustainedBatch: { ...passing.sustainedBatch, p99Ms: 2000 } },
    ],
    [
      'batch path operations per event',
      { opsPerEventBatch: { ...passing.opsPerEventBatch, functionInvocations: 0.021 } },
    ],
    [
      'batch path cost per million events',
      {
        costPerMillionEventsBatch: { ...passing.costPerMillionEventsBatch, total: 1.16 },
      },
    ],
    [
      planName('batch path events/s'),
      { trackingPlan: { ...passing.trackingPlan, ratioBatch: 0.89 } },
    ],
    [
      planName('processEvent CPU per event'),
      { trackingPlan: { ...passing.trackingPlan, cpuRatio: 1.16 } },
    ],
  ])('misses only "%s" when its measure crosses the line', (name, change) => {
    const missed = targetsFor({ ...passing, ...change }).filter((t) => !t.met);
    expect(missed.map((t) => t.name)).toEqual([name]);
  });

  it("sets the tracking plan's ratios beside the mean figures of its passes", () => {
    const measured = Object.fromEntries(targetsFor(passing).map((t) => [t.name, t.measured]));
    expect(measured[planName('batch path events/s')]).toBe(
      '0.97× (2900/s beside 3000/s; passes 0.97)',
    );
    expect(measured[planName('processEvent CPU per event')]).toBe(
      '1.06× (0.17 ms beside 0.16 ms; passes 1.06)',
    );
  });

  it('meets the batch rate through either of its lines', () => {
    const name = 'batch path events/s, calls of 500 (or ≥ 0.8× its Firestore floor)';
    const met = (eventsPerSecond: number, ratioToFloor: number) =>
      targetsFor({
        ...passing,
        endToEndBatch: { ...passing.endToEndBatch, eventsPerSecond, ratioToFloor },
      }).find((t) => t.name === name)?.met;
    expect([met(1500, 0.5), met(900, 0.8), met(1499, 0.79)]).toEqual([true, true, false]);
  });

  it('meets the end-to-end rate through either of its lines', () => {
    const name = 'end-to-end events/s, one event per request';
    const met = (eventsPerSecond: number, ratioToIngestSingle: number) =>
      targetsFor({
        ...passing,
        endToEnd: { ...passing.endToEnd, eventsPerSecond, ratioToIngestSingle },
      }).find((t) => t.name === name)?.met;
    expect([met(1500, 0.1), met(900, 0.5), met(1499, 0.49)]).toEqual([true, true, false]);
  });
});
