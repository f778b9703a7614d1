/**
 * `npm run bench`: bounded load against a local stack on 127.0.0.1, measured beside the
 * bare functions framework in the same run. Prints one table and writes
 * bench/results/latest.{json,md} and bench/results/chart.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../lib/localStack.ts';
import { measureBatchIngest } from './batchIngest.ts';
import { measureBatchPath } from './batchPath.ts';
import { assembleResult } from './benchResult.ts';
import { measureColdStarts } from './coldStart.ts';
import { startBenchStack, type Cleanup } from './benchStack.ts';
import { measureBrowser } from './browserPath.ts';
import { measureEndToEnd, measureSustained } from './endToEnd.ts';
import { startFloors } from './floors.ts';
import { countOperations } from './operationCounts.ts';
import { probeProcessing } from './processProbe.ts';
import { measurePushCeiling } from './pushCeiling.ts';
import { measureRateLimitAcrossInstances } from './rateLimitAcrossInstances.ts';
import { measureEndpointFailureWrites } from './endpointFailureWrites.ts';
import { renderChart } from './reportChart.ts';
import { renderMarkdown } from './reportMarkdown.ts';
import type { BenchResult } from './results.ts';
import { log, probeEvents } from './settings.ts';
import { measureSingleEvents } from './singleEvents.ts';

process.env.METADATA_SERVER_DETECTION = 'none';
process.env.RATE_LIMIT_PER_SECOND = '1000000';
process.env.RATE_LIMIT_BURST = '1000000';
// Every request comes from 127.0.0.1: the per-address limit would be the bench's ceiling.
process.env.BROWSER_RATE_LIMIT_PER_SECOND = '1000000';
process.env.BROWSER_RATE_LIMIT_BURST = '1000000';

const cleanup: Cleanup = [];
try {
  const result = await runBenchmark();
  const outDir = join(projectRoot, 'bench', 'results');
  await mkdir(outDir, { recursive: true });
  const markdown = renderMarkdown(result);
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), markdown);
  await writeFile(join(outDir, 'chart.svg'), renderChart(result));
  log(`\n${markdown}`);
  log(`Written to bench/results/latest.json, latest.md and chart.svg`);
} finally {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
}
process.exit(0);

/** Every scenario in turn; each later one builds on the state the earlier ones leave. */
async function runBenchmark(): Promise<BenchResult> {
  // First, while nothing else runs: a cold start is mostly loading code, on one core.
  const coldStart = await measureColdStarts();
  const bench = await startBenchStack(cleanup);
  const floors = await startFloors(bench, cleanup);
  // Ingest is measured alone: with no subscription on `events`, the downstream does not compete for the CPU.
  await bench.pubsub.subscription('events-process').delete();
  const single = await measureSingleEvents(bench, floors);
  const browserPath = await measureBrowser(bench);
  const batch = await measureBatchIngest(bench);
  const pushCeiling = await measurePushCeiling(bench.pubsub, bench.projectId);
  // measureEndToEnd puts the subscriptions back, pushing to the stack's functions.
  const endToEnd = await measureEndToEnd(bench);
  const sustained = await measureSustained(bench, endToEnd.latencies.eventsPerSecond);
  const { batchOps, ...operations } = await countOperations(bench.emulatorHosts);
  log('processEvent alone: service time per push, one Firestore write, one publish…');
  const probe = await probeProcessing(bench.emulatorHosts, probeEvents);
  log('The floor: the framework, one create and one publish per push…');
  const floorProbe = await probeProcessing(bench.emulatorHosts, probeEvents, undefined, 'floor');
  const batchPath = await measureBatchPath(bench, cleanup);
  const rateLimitAcrossInstances = await measureRateLimitAcrossInstances(bench);
  log('A failing webhook endpoint: writes to its documents…');
  const endpointFailureWrites = await measureEndpointFailureWrites();
  return assembleResult({
    rateLimitAcrossInstances,
    endpointFailureWrites,
    coldStart,
    batchPath,
    batchOps,
    single,
    browserPath,
    batch,
    pushCeiling,
    endToEnd,
    sustained,
    operations,
    probe,
    floorProbe,
  });
}
