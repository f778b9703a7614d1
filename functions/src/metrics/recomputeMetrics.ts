import type { Logger } from '../lib/logger.ts';
import type { FieldError } from '../lib/http.ts';
import { buildDayDocs, buildSiteDocs } from './dailyMetrics.ts';
import { addDays, utcDay } from './dates.ts';
import { parseDayRange, type DayRange } from './metricsQuery.ts';
import type { MetricsDocStore } from './metricsStore.ts';
import type { MetricsSource } from './warehouseMetrics.ts';

export type RecomputeDeps = {
  /** Only the per-day figures: the nightly documents are one per day. */
  warehouse: Pick<MetricsSource, 'dailyCounts' | 'siteStats'>;
  docs: MetricsDocStore;
  now: () => Date;
  /** The nightly run covers this many closed days, for events that arrive late. */
  lookbackDays: number;
  logger: Logger;
};

export type RecomputePlan =
  | { kind: 'recompute'; range: DayRange }
  | { kind: 'nothing'; reason: string }
  | { kind: 'invalid'; errors: FieldError[] };

/**
 * Which closed days to recompute for a trigger message. `{}` (the nightly schedule)
 * means the last `lookbackDays` closed days; `{"date": …}` or `{"from": …, "to": …}`
 * asks for those days. Only closed days get a document: today is always live.
 */
export function planRecompute(request: unknown, now: Date, lookbackDays: number): RecomputePlan {
  const today = utcDay(now);
  const yesterday = addDays(today, -1);
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return { kind: 'invalid', errors: [{ field: '(root)', message: 'must be a JSON object' }] };
  }
  const fields = request as Record<string, unknown>;
  const errors: FieldError[] = [];
  const values: { date?: string; from?: string; to?: string } = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'date' && name !== 'from' && name !== 'to') {
      errors.push({ field: name, message: 'unknown field; use date, or from and to' });
    } else if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be a date as YYYY-MM-DD' });
    } else values[name] = value;
  }
  if (errors.length > 0) return { kind: 'invalid', errors };
  if (Object.keys(values).length === 0) {
    return { kind: 'recompute', range: { from: addDays(today, -lookbackDays), to: yesterday } };
  }
  const range = parseDayRange(values, today, errors);
  if (!range) return { kind: 'invalid', errors };
  const to = range.to < yesterday ? range.to : yesterday;
  if (range.from > to) return { kind: 'nothing', reason: 'no closed day in the range' };
  return { kind: 'recompute', range: { from: range.from, to } };
}

export type RecomputeReport = { range: DayRange; days: number; siteDays: number };

/**
 * Exact daily figures from the warehouse (two queries for the whole range, distinct
 * event ids, late events included), written as one document per day and per site
 * and day. Writing the same range again gives the same documents.
 */
export async function recomputeMetrics(
  range: DayRange,
  deps: RecomputeDeps,
): Promise<RecomputeReport> {
  const [counts, stats] = await Promise.all([
    deps.warehouse.dailyCounts(range),
    deps.warehouse.siteStats(range),
  ]);
  const computedAt = deps.now();
  const days = buildDayDocs(range, counts, computedAt);
  const sites = buildSiteDocs(stats, computedAt);
  await deps.docs.saveRecomputed(days, sites);
  return { range, days: days.length, siteDays: sites.length };
}
