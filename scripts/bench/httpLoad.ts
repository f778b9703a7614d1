/** HTTP load through autocannon, summarised as one scenario. */
import autocannon from 'autocannon';
import type { HttpScenario } from './results.ts';
import { round } from './stats.ts';

export type LoadOptions = autocannon.Options;

export function headersFor(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}

export async function load(options: LoadOptions): Promise<HttpScenario> {
  // Timed here: autocannon's own duration is counted in whole ticks.
  const started = performance.now();
  const result = await autocannon({ ...options, timeout: 30 });
  const seconds = (performance.now() - started) / 1000;
  const requests = result.requests.total;
  return {
    requests,
    requestsPerSecond: round(requests / seconds, 0),
    eventsPerSecond: round(requests / seconds, 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

export function average(runs: HttpScenario[]): HttpScenario {
  const mean = (pick: (r: HttpScenario) => number) =>
    round(runs.reduce((sum, r) => sum + pick(r), 0) / runs.length, 1);
  return {
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    requestsPerSecond: round(
      mean((r) => r.requestsPerSecond),
      0,
    ),
    eventsPerSecond: round(
      mean((r) => r.eventsPerSecond),
      0,
    ),
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: mean((r) => r.p99Ms),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}
