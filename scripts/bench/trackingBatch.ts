/**
 * The tracking API's batch route beside our own: `POST /v1/batch` with page calls as
 * the analytics SDKs send them, and `POST /v1/events/batch` with the events they map to
 * (the same message as payload, the same site, user, path and time), in alternating
 * passes of the same run so both see the same machine. The ratio is the cost of the
 * tracking layer: mapping, message ids and its checks.
 */
import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import type { HttpScenario, TrackingBatchResult } from './results.ts';
import { round } from './stats.ts';

type Load = (options: autocannon.Options) => Promise<HttpScenario>;

/** Distinct bodies, so the messageIds differ from one request to the next. */
const distinctBodies = 20;

/** A page call as `@segment/analytics-node` puts it in a batch. */
function pageMessage(index: number, sentAt: string): Record<string, unknown> & { userId: string } {
  return {
    type: 'page',
    messageId: randomUUID(),
    userId: `u-${index % 50}`,
    name: 'Pricing',
    properties: { title: 'Pricing', referrer: 'search', path: '/pricing' },
    context: {
      library: { name: '@segment/analytics-node', version: '3.1.0' },
      page: { url: 'https://bench.example.com/pricing', path: '/pricing' },
    },
    integrations: {},
    timestamp: sentAt,
    _metadata: { jsRuntime: 'node' },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mean(runs: HttpScenario[], pick: (run: HttpScenario) => number): number {
  return runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
}

export async function measureTrackingBatch(
  load: Load,
  options: {
    ingestUrl: string;
    apiKey: string;
    batchSize: number;
    connections: number;
    warmupSeconds: number;
    seconds: number;
    passes: number;
  },
): Promise<TrackingBatchResult> {
  const sentAt = new Date().toISOString();
  const batches = Array.from({ length: distinctBodies }, () =>
    Array.from({ length: options.batchSize }, (_, i) => pageMessage(i, sentAt)),
  );
  const requests = batches.map((batch) => ({
    method: 'POST' as const,
    body: JSON.stringify({ batch, sentAt }),
  }));
  const eventsRequests = batches.map((batch) => ({
    method: 'POST' as const,
    body: JSON.stringify({
      events: batch.map((message) => ({
        eventType: 'page.viewed',
        payload: message,
        siteId: 'bench.example.com',
        userId: message.userId,
        path: '/pricing',
        occurredAt: sentAt,
      })),
    }),
  }));
  const tracking = (duration: number) =>
    load({
      url: `${options.ingestUrl}/v1/batch`,
      requests,
      headers: {
        authorization: `Basic ${Buffer.from(`${options.apiKey}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      connections: options.connections,
      duration,
    });
  const events = (duration: number) =>
    load({
      url: `${options.ingestUrl}/v1/events/batch`,
      requests: eventsRequests,
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      connections: options.connections,
      duration,
    });
  await tracking(options.warmupSeconds);
  await events(options.warmupSeconds);
  const trackingRuns: HttpScenario[] = [];
  const eventsRuns: HttpScenario[] = [];
  // Each pass runs both routes back to back, in alternating order (ABBA), so a drift in
  // the machine's load falls on both; the ratio is the median of the passes' ratios.
  const ratios: number[] = [];
  for (let pass = 0; pass < options.passes; pass += 1) {
    const order = pass % 2 === 0 ? [tracking, events] : [events, tracking];
    const first = await order[0]!(options.seconds);
    const second = await order[1]!(options.seconds);
    const [trackingRun, eventsRun] = pass % 2 === 0 ? [first, second] : [second, first];
    trackingRuns.push(trackingRun);
    eventsRuns.push(eventsRun);
    ratios.push(trackingRun.requestsPerSecond / Math.max(1, eventsRun.requestsPerSecond));
  }
  const trackingPerSecond = mean(trackingRuns, (run) => run.requestsPerSecond) * options.batchSize;
  const eventsPerSecond = mean(eventsRuns, (run) => run.requestsPerSecond) * options.batchSize;
  return {
    batchSize: options.batchSize,
    eventsPerSecond: round(trackingPerSecond, 0),
    p50Ms: round(
      mean(trackingRuns, (run) => run.p50Ms),
      1,
    ),
    p99Ms: round(
      mean(trackingRuns, (run) => run.p99Ms),
      1,
    ),
    errors: trackingRuns.reduce((sum, run) => sum + run.errors, 0),
    eventsBatchPerSecond: round(eventsPerSecond, 0),
    ratioToEventsBatch: round(median(ratios)),
    passRatios: ratios.map((ratio) => round(ratio)),
  };
}
