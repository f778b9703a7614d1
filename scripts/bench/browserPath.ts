/**
 * The browser path beside our own route: `POST /v1/p` as analytics.js sends a page call
 * from a web page (text/plain, the write key in the body and as Basic auth, an allowed
 * Origin, a browser key), and `POST /v1/events` with the event it maps to, in
 * alternating passes of the same run. The ratio is the cost of the browser layer: the
 * key's places, the origin, CORS, the per-address limit and the mapping. Also the size
 * of the tracker script as it is served, gzipped.
 */
import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import { trackerScript } from '../../functions/src/ingest/browser/trackerScript.ts';
import { browserOrigin, browserSiteId, type BenchStack } from './benchStack.ts';
import { load as httpLoad } from './httpLoad.ts';
import { alternatingPasses, mean } from './alternatingPasses.ts';
import type { BrowserPathResult, HttpScenario } from './results.ts';
import { connections, log } from './settings.ts';
import { round } from './stats.ts';

type Load = (options: autocannon.Options) => Promise<HttpScenario>;

/** Distinct bodies, so the messageIds differ from one request to the next. */
const distinctBodies = 20;

/** A page call as analytics.js posts it to `/v1/p`. */
export function browserPageCall(writeKey: string, origin: string, sentAt: string) {
  const url = `${origin}/pricing`;
  const page = { path: '/pricing', referrer: '', search: '', title: 'Pricing', url };
  return {
    type: 'page',
    messageId: `ajs-next-${randomUUID()}`,
    anonymousId: randomUUID(),
    properties: { ...page, name: 'Pricing' },
    context: {
      page,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0',
      locale: 'en-US',
      library: { name: 'analytics.js', version: 'npm:next-1.84.3' },
    },
    integrations: {},
    timestamp: sentAt,
    writeKey,
    sentAt,
    _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
  };
}

/** The event `POST /v1/events` takes for the same page view. */
export function eventOfPageCall(call: ReturnType<typeof browserPageCall>, siteId: string) {
  const { writeKey: _key, ...payload } = call;
  return {
    eventType: 'page.viewed',
    payload,
    siteId,
    userId: call.anonymousId,
    path: '/pricing',
    occurredAt: call.timestamp,
  };
}

export async function measureBrowserPath(
  load: Load,
  options: {
    ingestUrl: string;
    browserKey: string;
    serverKey: string;
    origin: string;
    siteId: string;
    connections: number;
    warmupSeconds: number;
    seconds: number;
    passes: number;
  },
): Promise<BrowserPathResult> {
  const sentAt = new Date().toISOString();
  const calls = Array.from({ length: distinctBodies }, () =>
    browserPageCall(options.browserKey, options.origin, sentAt),
  );
  const page = (duration: number) =>
    load({
      url: `${options.ingestUrl}/v1/p`,
      requests: calls.map((call) => ({ method: 'POST' as const, body: JSON.stringify(call) })),
      headers: {
        'content-type': 'text/plain',
        origin: options.origin,
        authorization: `Basic ${Buffer.from(`${options.browserKey}:`).toString('base64')}`,
      },
      connections: options.connections,
      duration,
    });
  const events = (duration: number) =>
    load({
      url: `${options.ingestUrl}/v1/events`,
      requests: calls.map((call) => ({
        method: 'POST' as const,
        body: JSON.stringify(eventOfPageCall(call, options.siteId)),
      })),
      headers: { authorization: `Bearer ${options.serverKey}`, 'content-type': 'application/json' },
      connections: options.connections,
      duration,
    });
  const passes = await alternatingPasses(page, events, options);
  const pageRuns = passes.firstRuns;
  return {
    pagesPerSecond: round(
      mean(pageRuns, (run) => run.requestsPerSecond),
      0,
    ),
    p50Ms: round(
      mean(pageRuns, (run) => run.p50Ms),
      1,
    ),
    p99Ms: round(
      mean(pageRuns, (run) => run.p99Ms),
      1,
    ),
    errors: pageRuns.reduce((sum, run) => sum + run.errors, 0),
    eventsPerSecond: round(
      mean(passes.secondRuns, (run) => run.requestsPerSecond),
      0,
    ),
    ratioToEvents: passes.ratio,
    passRatios: passes.passRatios,
    trackerGzipBytes: trackerScript().gzip.body.length,
  };
}

/** The scenario of `npm run bench`, with ingest alone on the machine as for single events. */
export function measureBrowser(bench: BenchStack): Promise<BrowserPathResult> {
  log('The browser path: POST /v1/p beside POST /v1/events…');
  return measureBrowserPath(httpLoad, {
    ingestUrl: bench.stack.info.ingestUrl,
    browserKey: bench.browserKey.key,
    serverKey: bench.singleKey.key,
    origin: browserOrigin,
    siteId: browserSiteId,
    connections,
    warmupSeconds: 3,
    seconds: 4,
    passes: 4,
  });
}
