/**
 * Two loads measured in alternating passes of the same run (ABBA order), so a drift in
 * the machine's load falls on both; the ratio of the first to the second is the median
 * of the passes' ratios of requests per second.
 */
import type { HttpScenario } from './results.ts';
import { round } from './stats.ts';

type Pass = (seconds: number) => Promise<HttpScenario>;

export type AlternatingRuns = {
  firstRuns: HttpScenario[];
  secondRuns: HttpScenario[];
  ratio: number;
  passRatios: number[];
};

export async function alternatingPasses(
  first: Pass,
  second: Pass,
  options: { warmupSeconds: number; seconds: number; passes: number },
): Promise<AlternatingRuns> {
  await first(options.warmupSeconds);
  await second(options.warmupSeconds);
  const firstRuns: HttpScenario[] = [];
  const secondRuns: HttpScenario[] = [];
  const ratios: number[] = [];
  for (let pass = 0; pass < options.passes; pass += 1) {
    const order = pass % 2 === 0 ? [first, second] : [second, first];
    const a = await order[0]!(options.seconds);
    const b = await order[1]!(options.seconds);
    const [firstRun, secondRun] = pass % 2 === 0 ? [a, b] : [b, a];
    firstRuns.push(firstRun);
    secondRuns.push(secondRun);
    ratios.push(firstRun.requestsPerSecond / Math.max(1, secondRun.requestsPerSecond));
  }
  return {
    firstRuns,
    secondRuns,
    ratio: round(median(ratios)),
    passRatios: ratios.map((ratio) => round(ratio)),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function mean(runs: HttpScenario[], pick: (run: HttpScenario) => number): number {
  return runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
}
