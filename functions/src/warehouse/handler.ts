import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { subscriber } from '../process/handlers.ts';
import { runLoader, type LoaderDeps, type LoadReport } from './loadWarehouse.ts';

export type LoadWarehouseOutcome =
  { kind: 'loaded'; report: LoadReport } | { kind: 'skipped'; reason: 'run_in_progress' };

/**
 * `loadWarehouse`: any message on `warehouse-load` (the schedule's, or one published
 * on demand) starts a run. One run at a time per instance: a trigger that arrives
 * during a run is acknowledged, since the run in progress already drains the
 * subscription. The trigger is acknowledged whatever the run met: what it could not
 * load stays in the subscription for the next run.
 */
export function createLoadWarehouseHandler(getDeps: () => LoaderDeps): CloudEventFunction {
  let running = false;
  return subscriber(
    'loadWarehouse',
    getDeps,
    async (_message, deps): Promise<LoadWarehouseOutcome> => {
      if (running) return { kind: 'skipped', reason: 'run_in_progress' };
      running = true;
      try {
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
