/** What one `npm run bench` writes to bench/results/latest.json, read by the report. */
import type { CostBreakdown, OpsPerEvent } from './costModel.ts';

export type HttpScenario = {
  /** Requests completed in the run. */
  requests: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
};

export type TrackingBatchResult = {
  batchSize: number;
  /** Events per second through `POST /v1/batch`. */
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Events per second through `POST /v1/events/batch` in the same passes. */
  eventsBatchPerSecond: number;
  /** The median of the passes' ratios. */
  ratioToEventsBatch: number;
  passRatios: number[];
};

export type BrowserPathResult = {
  /** `POST /v1/p` calls per second, as analytics.js sends them from a page. */
  pagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** `POST /v1/events` per second with the same events, in the same passes. */
  eventsPerSecond: number;
  /** The median of the passes' ratios. */
  ratioToEvents: number;
  passRatios: number[];
  /** The tracker script as served to browsers that accept gzip. */
  trackerGzipBytes: number;
};

/** One run of the batch path under one of the two plans: the tracking plan's scenario. */
export type TrackingPlanRun = {
  events: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the stack's processEvent process per event over the run. */
  processEventCpuMs: number;
  /** CPU per event of every process the events went through, and by process. */
  totalCpuMs: number;
  cpuMsByProcess: Record<string, number>;
  quarantined: number;
  /** processEvent's invocations over the run: one per call of 500, more when a message was delivered again. */
  pushes: number;
};

/**
 * The batch path (calls of 500 through `/v1/events/batch`, 202 → PROCESSED or
 * QUARANTINED) with a tracking plan enforced beside the same path with none, in
 * alternating passes of the same run on one stack.
 */
export type TrackingPlanResult = {
  types: number;
  settings: { unplanned: string; violations: string };
  /** One event in this many broke its schema (0: none), quarantined under the plan. */
  violatingEvery: number;
  violatingShare: number;
  /** How often each instance read the plan again. */
  cacheSeconds: number;
  batchSize: number;
  /** Events sent, unmeasured, to a stack before its run when the other stack ran last. */
  rewarmEvents: number;
  withPlan: TrackingPlanRun[];
  withoutPlan: TrackingPlanRun[];
  /** Events per second with the plan over without: the median of the passes' ratios. */
  ratioBatch: number;
  passRatios: number[];
  /** processEvent's CPU per event over every pass with the plan, over the same without. */
  cpuRatio: number;
  cpuPassRatios: number[];
};

/** Single events with the suppression list full, beside it empty (see suppression.ts). */
export type SuppressionResult = {
  suppressedSubjects: number;
  cacheSeconds: number;
  passes: number;
  passSeconds: number;
  floor: HttpScenario[];
  withList: HttpScenario[];
  withoutList: HttpScenario[];
  /** Requests per second over the publish floor's, the mean of the passes'. */
  ratioToPublishFloorWith: number;
  ratioToPublishFloorWithout: number;
  /** With the list over without, the median of the passes' ratios. */
  relative: number;
  passRatios: number[];
  /** Heap the held list takes in an instance. */
  heldListMb: number;
  /** One read of the whole list from the emulator, as a cold instance does. */
  coldReadMs: number;
  applyMs: number;
  /** The check of one event (hashing its ids, looking them up). */
  checkMicroseconds: number;
  subjectsHeld: number;
};

/** Single events at a fixed rate for a while, each from its 202 to PROCESSED. */
export type SustainedRun = {
  targetPerSecond: number;
  seconds: number;
  events: number;
  p50Ms: number;
  p99Ms: number;
  /** How long ingest took to answer, over the same run. */
  ingestP50Ms?: number;
  ingestP99Ms?: number;
  /** Events per processEvent push: the mean size of the messages ingest formed. */
  eventsPerMessage?: number;
};

export type BenchResult = {
  measuredAt: string;
  /** Limits across instances of ingest behind one front door (scripts/bench/rateLimitAcrossInstances.ts). */
  rateLimitAcrossInstances?: RateLimitAcrossInstances;
  /**
   * Writes to a failing endpoint's documents while deliveries to it fail hundreds of
   * times a second, counted through the store: `perSecond`, the most any one document took.
   */
  endpointFailureWrites?: {
    perSecond: number;
    perDocumentMax: number;
    deliveries: number;
    seconds: number;
    disabled: boolean;
  };
  machine: { cpus: number; cpuModel: string; memoryGib: number; node: string };
  /**
   * Process start to first answer, built JavaScript as deployed, medians of alternating
   * runs; `ratio` is the slowest function's over the floor (a bare function loading the
   * framework and the same Google clients).
   */
  coldStart: {
    ingest: { ms: number };
    api: { ms: number };
    processEvent: { ms: number };
    floor: { ms: number };
    runs: number;
    ratio: number;
  };
  floor: HttpScenario;
  /** The bare function plus an awaited publish through our publisher: the client's share. */
  publishFloor: HttpScenario;
  ingestSingle: HttpScenario & {
    ratioToFloor: number;
    ratioToPublishFloor: number;
    /** How far ingest's median answer sits above the publish floor's, in the same passes. */
    p50AboveFloorMs: number;
  };
  /**
   * One connection, one request at a time: a lone request, which the group commit must
   * publish at once, beside the publish floor answering the same way.
   */
  ingestLone: {
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    publishFloorP50Ms: number;
    publishFloorP99Ms: number;
  };
  ingestBatch: HttpScenario & { rawPublishPerSecond: number; ratioToRawPublish: number };
  /** The tracking API's batch route, beside `/v1/events/batch` in the same passes. */
  trackingBatch?: TrackingBatchResult;
  /** The browser path (`/v1/p`) beside `/v1/events`, and the tracker's size. */
  browserPath?: BrowserPathResult;
  /** The batch path with a tracking plan of many types enforced, beside it with none. */
  trackingPlan?: TrackingPlanResult;
  suppression?: SuppressionResult;
  pushCeiling: { messagesPerSecond: number; maxConcurrentPushes: number };
  /** processEvent alone behind the emulator's pushes, beside one Firestore write. */
  process: {
    /** Median wall time of one push in processEvent's handler. */
    serviceTimeMs: number;
    serviceTimeP99Ms: number;
    /** Median of the claim's Firestore write alone, one at a time. */
    firestoreWriteMs: number;
    /** Median of one events-processed publish alone, one at a time. */
    publishMs: number;
    /** CPU of the stack's processEvent process per event, over the end-to-end run. */
    cpuMsPerEvent: number;
    /** CPU per event of processEvent alone in the probe's process. */
    probeCpuMsPerEvent: number;
    /** Pushes in flight ÷ service time: what the emulator allows at this service time. */
    serviceCeilingPerSecond: number;
    /**
     * Medians of the claim's write and the fan-out's publish as processEvent saw them in
     * the drain, while the emulators and processEvent shared the cores.
     */
    claimInDrainMs: number;
    publishInDrainMs: number;
    /** How fast the probe's drain went: processEvent alone behind the emulator. */
    probePushesPerSecond: number;
    /**
     * The floor processEvent is held to, drained the same way in the same run: a function
     * under the framework that creates the same document and publishes the same message,
     * with no validation, logging or decisions. What it costs is the framework's and the
     * clients'; what processEvent costs beyond it is ours.
     */
    floor: { serviceTimeMs: number; cpuMsPerEvent: number; pushesPerSecond: number };
    /** processEvent alone against the floor: CPU per event, and service time per push. */
    ratioToFloorCpu: number;
    ratioToFloorServiceTime: number;
  };
  endToEnd: {
    events: number;
    eventsPerSecond: number;
    /** Events per processEvent push, and the pushes a second that took. */
    eventsPerMessage: number;
    messagesPerSecond: number;
    /** End to end over what ingest alone answers: the pipeline behind ingest keeping up. */
    ratioToIngestSingle: number;
    ratioToPushCeiling: number;
    ratioToServiceCeiling: number;
    p50Ms: number;
    p99Ms: number;
    /**
     * Where the cores went while the events went through: CPU milliseconds per event by
     * process, how busy the machine was, and the rate those cores allow at that CPU per
     * event (cores ÷ total CPU per event).
     */
    cpu: {
      msPerEvent: Record<string, number>;
      totalMsPerEvent: number;
      machineBusy: number;
      cores: number;
      ceilingPerSecond: number;
      ratioToCpuCeiling: number;
    };
    warehouse: { events: number; eventsPerSecond: number; p50Ms: number; p99Ms: number } | null;
  };
  sustained: SustainedRun;
  sustainedWithinCapacity: SustainedRun;
  /**
   * Events in calls of 500 through `/v1/events/batch`, 202 → PROCESSED, as messages of
   * many events, on a stack with the default message limits; beside its floor, the
   * Firestore emulator taking the same status documents in the same batched calls alone.
   */
  endToEndBatch: {
    events: number;
    eventsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    /** CPU milliseconds per event by process, as for the one-event-per-message run. */
    cpu: { msPerEvent: Record<string, number>; totalMsPerEvent: number; machineBusy: number };
    floor: { documentsPerSecond: number; documentsPerCall: number };
    ratioToFloor: number;
  };
  /** Events through batches at a fixed rate: how long each took from its 202 to PROCESSED. */
  sustainedBatch: SustainedRun;
  /** What one event costs when it comes in a call of many. */
  opsPerEventBatch: OpsPerEvent;
  costPerMillionEventsBatch: CostBreakdown;
  opsPerEvent: OpsPerEvent & {
    /** Events per message on `events` in the counted run (single requests, many connections). */
    eventsPerMessage: number;
    withIdempotencyKey: { firestoreWrites: number; firestoreReads: number };
    warehouseWriteCalls: number | null;
    rowsPerWarehouseCall: number | null;
  };
  cpuSecondsPerEvent: Record<string, number>;
  costPerMillionEvents: CostBreakdown;
  monthlyCost: { at1000PerSecond: number; at10000PerSecond: number };
  targets: { name: string; target: string; measured: string; met: boolean }[];
};

/** Limits across instances of ingest behind one front door. */
export type RateLimitAcrossInstances = {
  instances: number;
  /** One key at three times its limit: accepted per second over the limit. */
  ratio: number;
  acceptedPerSecond: number;
  limitPerSecond: number;
  /** One client address at three times a browser key's per-address limit. */
  browserRatio: number;
  browserAcceptedPerSecond: number;
  browserLimitPerSecond: number;
  /** Refused requests answered 429 with Retry-After, in both runs; anything else is an error. */
  refused: number;
  errors: number;
};
