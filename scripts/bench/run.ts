/**
 * `npm run bench`: bounded load against a local stack on 127.0.0.1, measured beside the
 * bare functions framework in the same run. Prints one table and writes
 * bench/results/latest.{json,md} and bench/results/chart.svg.
 *
 * `BENCH_ONLY=<scenario> npm run bench` runs one scenario of `alone` on emulators of its
 * own and prints its section, its targets and its figures as JSON, leaving
 * bench/results as it was.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../lib/localStack.ts';
import { measureBatchIngest } from './batchIngest.ts';
import { measureBatchPath } from './batchPath.ts';
import { assembleResult } from './benchResult.ts';
import { measureColdStarts } from './coldStart.ts';
import { startBenchEmulators, startBenchStack, type Cleanup } from './benchStack.ts';
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
import { row, suppressionSection, trackingPlanSection } from './reportSections.ts';
import type { BenchResult } from './results.ts';
import { log, probeEvents } from './settings.ts';
import { measureSingleEvents } from './singleEvents.ts';
import { suppressionTargets, trackingPlanTargets } from './targets.ts';
import { measureSuppression } from './suppression.ts';
import { measureTrackingPlan } from './trackingPlan.ts';

process.env.METADATA_SERVER_DETECTION = 'none';
process.env.RATE_LIMIT_PER_SECOND = '1000000';
process.env.RATE_LIMIT_BURST = '1000000';
// Every request comes from 127.0.0.1: the per-address limit would be the bench's ceiling.
process.env.BROWSER_RATE_LIMIT_PER_SECOND = '1000000';
process.env.BROWSER_RATE_LIMIT_BURST = '1000000';

const cleanup: Cleanup = [];

/** Scenarios that run alone: what each measured, its report section and its targets. */
const alone: Record<
  string,
  () => Promise<{ measured: unknown; section: string[]; targets: BenchResult['targets'] }>
> = {
  suppression: async () => {
    log('Starting emulators…');
    const measured = await measureSuppression(await startBenchEmulators(cleanup), cleanup);
    return {
      measured,
      section: suppressionSection(measured),
      targets: suppressionTargets(measured),
    };
  },
  trackingPlan: async () => {
    log('Starting emulators…');
    const measured = await measureTrackingPlan(await startBenchEmulators(cleanup), cleanup);
    return {
      measured,
      section: trackingPlanSection(measured),
      targets: trackingPlanTargets(measured),
    };
  },
};

const only = process.env.BENCH_ONLY;
try {
  if (only) await runAlone(only);
  else await runAll();
} finally {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
}
process.exit(0);

async function runAlone(name: string): Promise<void> {
  const scenario = alone[name];
  if (!scenario)
    throw new Error(
      `BENCH_ONLY=${name}: no such scenario; one of ${Object.keys(alone).join(', ')}`,
    );
  const { measured, section, targets } = await scenario();
  const markdown = [
    ...section,
    '',
    row(['target', 'wanted', 'measured', 'met']),
    row(['---', '---', '---', '---']),
    ...targets.map((t) => row([t.name, t.target, t.measured, t.met ? 'yes' : '**no**'])),
    '',
  ].join('\n');
  log(`\n${markdown}`);
  log(JSON.stringify({ [name]: measured }, null, 2));
  log('bench/results left as it was: a scenario alone is not a run of the benchmark.');
}

async function runAll(): Promise<void> {
  const result = await runBenchmark();
  const outDir = join(projectRoot, 'bench', 'results');
  await mkdir(outDir, { recursive: true });
  const markdown = renderMarkdown(result);
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), markdown);
  await writeFile(join(outDir, 'chart.svg'), renderChart(result));
  log(`\n${markdown}`);
  log(`Written to bench/results/latest.json, latest.md and chart.svg`);
}

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
  const trackingPlan = await measureTrackingPlan(bench, cleanup);
  const rateLimitAcrossInstances = await measureRateLimitAcrossInstances(bench);
  log('A failing webhook endpoint: writes to its documents…');
  const endpointFailureWrites = await measureEndpointFailureWrites();
  return assembleResult({
    rateLimitAcrossInstances,
    endpointFailureWrites,
    coldStart,
    batchPath,
    trackingPlan,
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
