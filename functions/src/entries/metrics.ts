import { createRecomputeMetricsHandler } from '../metrics/handler.ts';
import type { RecomputeDeps } from '../metrics/recomputeMetrics.ts';
import type { Runtime } from '../runtime.ts';
import type { EntryPoints } from './entryPoint.ts';
import { metricsDocs, warehouseMetrics } from './shared.ts';

/** What `recomputeMetrics` is given, built once per runtime. */
export function recomputeDeps(runtime: Runtime): RecomputeDeps {
  return runtime.shared('recompute', () => ({
    warehouse: warehouseMetrics(runtime),
    docs: metricsDocs(runtime),
    now: runtime.now,
    lookbackDays: runtime.config.metricsRecomputeDays,
    logger: runtime.logger,
  }));
}

export function entryPoints(runtime: Runtime): EntryPoints {
  return {
    recomputeMetrics: {
      signature: 'cloudevent',
      handler: createRecomputeMetricsHandler(() => recomputeDeps(runtime)),
    },
  };
}
