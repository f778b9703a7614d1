/**
 * `POST /v1/events` one event at a time, in passes that alternate with the two floors so
 * all three see the same machine; also the ingest process's CPU per event, and a lone
 * request (one connection) beside the publish floor's.
 */
import type { BenchStack } from './benchStack.ts';
import type { FloorUrls } from './floors.ts';
import { average, headersFor, load } from './httpLoad.ts';
import { processCpuSeconds } from './processCpu.ts';
import type { BenchResult, HttpScenario } from './results.ts';
import {
  connections,
  log,
  loneSeconds,
  singleBody,
  singlePasses,
  singleSeconds,
  warmupSeconds,
} from './settings.ts';
import { round } from './stats.ts';

export type SingleEvents = Pick<
  BenchResult,
  'floor' | 'publishFloor' | 'ingestSingle' | 'ingestLone'
> & {
  ingestCpuPerEvent: number;
};

const singleLoad = (url: string, key: string, duration: number, from = connections) =>
  load({
    url,
    method: 'POST',
    body: singleBody,
    headers: headersFor(key),
    connections: from,
    duration,
  });

export async function measureSingleEvents(
  bench: BenchStack,
  { floorUrl, publishFloorUrl }: FloorUrls,
): Promise<SingleEvents> {
  log('Single events: the two floors and ingest, in turn…');
  const floorRuns: HttpScenario[] = [];
  const publishFloorRuns: HttpScenario[] = [];
  const ingestRuns: HttpScenario[] = [];
  await singleLoad(floorUrl, 'x', warmupSeconds);
  await singleLoad(publishFloorUrl, 'x', warmupSeconds);
  await singleLoad(bench.ingestUrl, bench.singleKey.key, warmupSeconds);
  const ingestPid = bench.stack.functionProcess('ingest')?.pid;
  const ingestCpuBefore = processCpuSeconds(ingestPid);
  for (let pass = 0; pass < singlePasses; pass += 1) {
    floorRuns.push(await singleLoad(floorUrl, 'x', singleSeconds));
    publishFloorRuns.push(await singleLoad(publishFloorUrl, 'x', singleSeconds));
    const run = await singleLoad(bench.ingestUrl, bench.singleKey.key, singleSeconds);
    ingestRuns.push(run);
  }
  const ingestCpuPerEvent =
    (processCpuSeconds(ingestPid) - ingestCpuBefore) /
    Math.max(
      1,
      ingestRuns.reduce((sum, r) => sum + r.requests, 0),
    );
  const floor = average(floorRuns);
  const publishFloor = average(publishFloorRuns);
  const single = average(ingestRuns);

  log('A lone request: one connection, ingest beside the publish floor…');
  const loneIngest: HttpScenario[] = [];
  const loneFloor: HttpScenario[] = [];
  for (let pass = 0; pass < singlePasses; pass += 1) {
    loneFloor.push(await singleLoad(publishFloorUrl, 'x', loneSeconds, 1));
    loneIngest.push(await singleLoad(bench.ingestUrl, bench.singleKey.key, loneSeconds, 1));
  }
  const lone = average(loneIngest);
  const loneFloorRun = average(loneFloor);
  return {
    floor,
    publishFloor,
    ingestSingle: {
      ...single,
      ratioToFloor: round(single.requestsPerSecond / floor.requestsPerSecond),
      ratioToPublishFloor: round(single.requestsPerSecond / publishFloor.requestsPerSecond),
      p50AboveFloorMs: round(single.p50Ms - publishFloor.p50Ms, 1),
    },
    ingestLone: {
      requestsPerSecond: lone.requestsPerSecond,
      p50Ms: lone.p50Ms,
      p99Ms: lone.p99Ms,
      publishFloorP50Ms: loneFloorRun.p50Ms,
      publishFloorP99Ms: loneFloorRun.p99Ms,
    },
    ingestCpuPerEvent,
  };
}
