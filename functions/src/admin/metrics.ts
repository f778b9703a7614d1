import { processingSubscription } from '../../../infra/spec.ts';
import { eventStatuses, type EventStatus } from '../process/eventRecord.ts';
import { hourBucket } from '../process/eventTransitions.ts';
import type { TypeCount } from '../metrics/dailyMetrics.ts';
import type { EventQueries } from './eventQueries.ts';

/** Where the backlog of the processing subscription comes from, when anything reports it. */
export type Backlog = { messages: number | null; reason?: string; sampledAt?: string };

export interface BacklogSource {
  backlog(): Promise<Backlog>;
}

/** The Pub/Sub emulator keeps no backlog metric. */
export class UnavailableBacklog implements BacklogSource {
  readonly #reason: string;
  constructor(reason: string) {
    this.#reason = reason;
  }
  backlog(): Promise<Backlog> {
    return Promise.resolve({ messages: null, reason: this.#reason });
  }
}

export type MetricsSettings = {
  hours: number;
  latencySampleSize: number;
  maxEventTypes: number;
};

export type LatencySummary = {
  sampleSize: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
};

/** Nearest-rank percentiles of a sample (sorted copy; the input is left alone). */
export function percentiles(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    sampleSize: sorted.length,
    meanMs:
      sorted.length === 0 ? null : sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    p50Ms: rank(50),
    p90Ms: rank(90),
    p99Ms: rank(99),
    maxMs: sorted.at(-1) ?? null,
  };
}

/** The last `hours` UTC hour buckets, newest first, the current (partial) hour included. */
export function recentHours(now: Date, hours: number): string[] {
  const start = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: hours }, (_, i) => hourBucket(new Date(start - i * 3_600_000)));
}

/**
 * The pipeline at a glance, from aggregation queries (a count costs one read per
 * thousand index entries) and a bounded sample, never by reading every document.
 */
export type MetricsSummary = {
  generatedAt: string;
  byStatus: Record<EventStatus, number>;
  byType: { types: TypeCount[]; truncated: boolean };
  throughput: { unit: string; hours: { hour: string; processed: number }[] };
  latency: LatencySummary & { measures: string; sample: string };
  backlog: { subscription: string; messages: number | null; sampledAt?: string; reason?: string };
};

export async function metricsSummary(
  queries: EventQueries,
  backlog: BacklogSource,
  settings: MetricsSettings,
  now: Date,
): Promise<MetricsSummary> {
  const hours = recentHours(now, settings.hours);
  const [byStatus, byType, throughput, latency, backlogValue] = await Promise.all([
    countsByStatus(queries),
    countsByType(queries, settings.maxEventTypes),
    Promise.all(
      hours.map(async (hour) => ({
        hour: `${hour}:00:00.000Z`,
        processed: await queries.countProcessedInHour(hour),
      })),
    ),
    latencySample(queries, hours, settings.latencySampleSize),
    backlog.backlog(),
  ]);
  return {
    generatedAt: now.toISOString(),
    byStatus,
    byType,
    throughput: { unit: 'events processed per hour (UTC)', hours: throughput.reverse() },
    latency: {
      ...latency,
      measures: 'receivedAt → processedAt',
      sample: `up to ${settings.latencySampleSize} events processed in the last ${settings.hours} hours, newest hours first`,
    },
    backlog: {
      subscription: processingSubscription,
      messages: backlogValue.messages,
      ...(backlogValue.sampledAt ? { sampledAt: backlogValue.sampledAt } : {}),
      ...(backlogValue.reason ? { reason: backlogValue.reason } : {}),
    },
  };
}

async function countsByStatus(queries: EventQueries): Promise<Record<EventStatus, number>> {
  const counts = await Promise.all(eventStatuses.map((status) => queries.countByStatus(status)));
  return Object.fromEntries(eventStatuses.map((status, i) => [status, counts[i]!])) as Record<
    EventStatus,
    number
  >;
}

async function countsByType(
  queries: EventQueries,
  max: number,
): Promise<{ types: TypeCount[]; truncated: boolean }> {
  const { types, truncated } = await queries.eventTypes(max);
  const counts = await Promise.all(types.map((type) => queries.countByType(type)));
  return {
    types: types
      .map((eventType, i) => ({ eventType, count: counts[i]! }))
      .sort((a, b) => b.count - a.count || a.eventType.localeCompare(b.eventType)),
    truncated,
  };
}

async function latencySample(
  queries: EventQueries,
  hours: string[],
  size: number,
): Promise<LatencySummary> {
  const latencies: number[] = [];
  for (const hour of hours) {
    if (latencies.length >= size) break;
    const sample = await queries.processedSample(hour, size - latencies.length);
    for (const { receivedAt, processedAt } of sample)
      latencies.push(processedAt.getTime() - receivedAt.getTime());
  }
  return percentiles(latencies);
}
