import type { Backlog, BacklogSource } from './metrics.ts';

/** A GET against the Cloud Monitoring API, authenticated by the caller. */
export type MonitoringRequest = (url: string) => Promise<{ status: number; data: unknown }>;

type TimeSeriesList = {
  timeSeries?: {
    points?: { interval?: { endTime?: string }; value?: { int64Value?: string | number } }[];
  }[];
};

export type MonitoringBacklogOptions = {
  projectId: string;
  subscription: string;
  request: MonitoringRequest;
  now: () => Date;
  /** Pub/Sub writes the metric about once a minute; look back far enough to find a point. */
  lookbackMinutes?: number;
  rootUrl?: string;
};

/**
 * The backlog of a subscription in the cloud, from Cloud Monitoring's
 * `num_undelivered_messages`: the number Pub/Sub itself reports, a minute or two old.
 * A failure to read it never fails the metrics summary; it is reported as unknown.
 */
export class CloudMonitoringBacklog implements BacklogSource {
  readonly #options: Required<MonitoringBacklogOptions>;

  constructor(options: MonitoringBacklogOptions) {
    this.#options = {
      lookbackMinutes: 10,
      rootUrl: 'https://monitoring.googleapis.com',
      ...options,
    };
  }

  async backlog(): Promise<Backlog> {
    const { projectId, subscription, request, now, lookbackMinutes, rootUrl } = this.#options;
    const end = now();
    const start = new Date(end.getTime() - lookbackMinutes * 60_000);
    const query = new URLSearchParams({
      filter: `metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND resource.labels.subscription_id="${subscription}"`,
      'interval.startTime': start.toISOString(),
      'interval.endTime': end.toISOString(),
    });
    const url = `${rootUrl}/v3/projects/${encodeURIComponent(projectId)}/timeSeries?${query.toString()}`;
    let response: { status: number; data: unknown };
    try {
      response = await request(url);
    } catch (error) {
      return { messages: null, reason: `Cloud Monitoring could not be read: ${describe(error)}` };
    }
    if (response.status !== 200)
      return { messages: null, reason: `Cloud Monitoring answered ${response.status}` };
    return latestPoint(response.data as TimeSeriesList, lookbackMinutes);
  }
}

/** Points come newest first; the newest one across the series is the backlog now. */
export function latestPoint(list: TimeSeriesList, lookbackMinutes: number): Backlog {
  let latest: { at: string; messages: number } | undefined;
  for (const series of list.timeSeries ?? []) {
    for (const point of series.points ?? []) {
      const at = point.interval?.endTime;
      const value = Number(point.value?.int64Value);
      if (!at || !Number.isFinite(value)) continue;
      if (!latest || at > latest.at) latest = { at, messages: value };
    }
  }
  if (!latest)
    return {
      messages: null,
      reason: `Cloud Monitoring has no sample in the last ${lookbackMinutes} minutes`,
    };
  return { messages: latest.messages, sampledAt: latest.at };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
