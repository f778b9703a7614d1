import type { CloudEventFunction } from '@google-cloud/functions-framework';
import { subscriber } from '../lib/subscriber.ts';
import {
  planRecompute,
  recomputeMetrics,
  type RecomputeDeps,
  type RecomputeReport,
} from './recomputeMetrics.ts';

export type RecomputeOutcome =
  | { kind: 'recomputed'; report: RecomputeReport }
  | { kind: 'nothing'; reason: string }
  | { kind: 'rejected'; reason: string };

/**
 * `recomputeMetrics`: a message on `metrics-recompute` (the nightly schedule's `{}`,
 * or a range published on demand). A message that does not parse can never succeed:
 * it is logged and acknowledged. A warehouse or Firestore failure throws, and
 * Pub/Sub delivers the message again; recomputing twice is harmless.
 */
export function createRecomputeMetricsHandler(getDeps: () => RecomputeDeps): CloudEventFunction {
  return subscriber(
    'recomputeMetrics',
    getDeps,
    async (message, deps): Promise<RecomputeOutcome> => {
      let request: unknown;
      try {
        request = JSON.parse(message.data.toString('utf8'));
      } catch {
        deps.logger.warn('recomputeMetrics: message is not JSON; acknowledged');
        return { kind: 'rejected', reason: 'message data is not JSON' };
      }
      const plan = planRecompute(request, deps.now(), deps.lookbackDays);
      if (plan.kind === 'invalid') {
        const reason = plan.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
        deps.logger.warn(
          { errors: plan.errors },
          'recomputeMetrics: invalid request; acknowledged',
        );
        return { kind: 'rejected', reason };
      }
      if (plan.kind === 'nothing') return plan;
      const report = await recomputeMetrics(plan.range, deps);
      deps.logger.info(report, 'daily metrics recomputed');
      return { kind: 'recomputed', report };
    },
  );
}
