/** The Cloud Scheduler jobs that start the periodic runs. */
import { topics } from './topics.ts';
import type { ScheduleSpec } from './types.ts';

/**
 * Loader runs each schedule starts, in parallel on separate instances, all pulling
 * the same subscription. One run takes up to 20,000 events a minute; raise this (up
 * to loadWarehouse's maxInstances) for more.
 */
export const warehouseLoaderRuns = 1;

export const schedules: readonly ScheduleSpec[] = [
  {
    name: 'load-warehouse',
    description: 'Loads processed events into the warehouse in batches.',
    cron: '* * * * *',
    timeZone: 'Etc/UTC',
    topic: topics.warehouseLoad.name,
    data: { runs: warehouseLoaderRuns },
  },
  {
    // Shortly after midnight UTC: yesterday is closed. The run also recomputes the
    // days before it, so events that arrive late are counted (see metricsRecompute).
    name: 'recompute-metrics',
    description: 'Recomputes the daily metrics and site statistics of the last closed days.',
    cron: '30 0 * * *',
    timeZone: 'Etc/UTC',
    topic: topics.metricsRecompute.name,
    data: {},
  },
  {
    // Each tick publishes a fetch for the sources whose interval has passed.
    name: 'poll-workspace',
    description: 'Polls the Google Workspace audit logs of the sources that are due.',
    cron: '* * * * *',
    timeZone: 'Etc/UTC',
    topic: topics.workspacePoll.name,
    data: {},
  },
];
