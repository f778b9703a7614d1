import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { topics } from '../../../infra/spec.ts';
import type { Publisher } from '../lib/publisher.ts';
import { subscriber } from '../lib/subscriber.ts';
import { runLoader, type LoaderDeps, type LoadReport } from './loadWarehouse.ts';

export type LoadWarehouseDeps = LoaderDeps & { publisher: Publisher };

export type LoadWarehouseOutcome =
  { kind: 'loaded'; report: LoadReport } | { kind: 'skipped'; reason: 'run_in_progress' };

/** Most runs one trigger may ask for. */
export const maxParallelRuns = 16;

/**
 * How many runs a trigger asks for: `{"runs": n}` (the schedule's), otherwise one. A
 * trigger carries nothing else, so anything unreadable still means one run.
 */
export function requestedRuns(data: Buffer): number {
  try {
    const runs = (JSON.parse(data.toString('utf8')) as { runs?: unknown } | null)?.runs;
    return typeof runs === 'number' && Number.isInteger(runs) && runs >= 1
      ? Math.min(runs, maxParallelRuns)
      : 1;
  } catch {
    return 1;
  }
}

/**
 * `loadWarehouse`: any message on `warehouse-load` (the schedule's, or one published
 * on demand) starts a run. A trigger asking for n runs first publishes n - 1 plain
 * triggers, which Pub/Sub pushes to other instances, so n runs pull in parallel.
 * One run at a time per instance: a trigger that arrives during a run is
 * acknowledged, since the run in progress already drains the subscription. The
 * trigger is acknowledged whatever the run met: what it could not load stays in the
 * subscription for the next run.
 */
export function createLoadWarehouseHandler(getDeps: () => LoadWarehouseDeps): CloudEventFunction {
  let running = false;
  return subscriber(
    'loadWarehouse',
    getDeps,
    async (message, deps): Promise<LoadWarehouseOutcome> => {
      if (running) return { kind: 'skipped', reason: 'run_in_progress' };
      running = true;
      try {
        await fanOut(requestedRuns(message.data) - 1, deps);
        const report = await runLoader(deps);
        const quiet = report.messages === 0 && report.stoppedBy === 'drained';
        if (
          report.stoppedBy === 'drained' ||
          report.stoppedBy === 'budget' ||
          report.stoppedBy === 'max_rows'
        ) {
          deps.logger[quiet ? 'debug' : 'info'](report, 'warehouse load run');
        } else {
          deps.logger.warn(report, 'warehouse load run stopped early');
        }
        return { kind: 'loaded', report };
      } finally {
        running = false;
      }
    },
  );
}

async function fanOut(extraRuns: number, deps: LoadWarehouseDeps): Promise<void> {
  const results = await Promise.allSettled(
    Array.from({ length: extraRuns }, () =>
      deps.publisher.publish(topics.warehouseLoad.name, {
        data: Buffer.from('{}'),
        attributes: {},
      }),
    ),
  );
  const failed = results.filter((result) => result.status === 'rejected').length;
  // Fewer runs this minute, not a lost event: this run goes ahead.
  if (failed > 0) deps.logger.warn({ failed }, 'starting parallel loader runs failed');
}
