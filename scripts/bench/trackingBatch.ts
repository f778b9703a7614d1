/**
 * The tracking API's batch route beside our own: `POST /v1/batch` with page calls as
 * the analytics SDKs send them, and `POST /v1/events/batch` with the events they map to
 * (the same message as payload, the same site, user, path and time), in alternating
 * passes of the same run so both see the same machine. The ratio is the cost of the
 * tracking layer: mapping, message ids and its checks.
 */
import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import { alternatingPasses, mean } from './alternatingPasses.ts';
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
  const passes = await alternatingPasses(tracking, events, options);
  const trackingRuns = passes.firstRuns;
  const trackingPerSecond = mean(trackingRuns, (run) => run.requestsPerSecond) * options.batchSize;
  const eventsPerSecond =
    mean(passes.secondRuns, (run) => run.requestsPerSecond) * options.batchSize;
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
    ratioToEventsBatch: passes.ratio,
    passRatios: passes.passRatios,
  };
}
