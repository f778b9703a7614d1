/** The Pub/Sub topics, by the role they play in the pipeline. */
import type { TopicSpec } from './types.ts';

export const topics = {
  events: { name: 'events', purpose: 'accepted events, published by ingest' },
  eventsDeadLetter: {
    name: 'events-dead-letter',
    purpose: 'events whose processing failed every attempt',
  },
  eventsProcessed: {
    name: 'events-processed',
    purpose: 'processed events, for the warehouse loader',
  },
  deliveries: {
    name: 'deliveries',
    purpose: 'one message per processed event and matching webhook endpoint',
  },
  deliveriesDeadLetter: {
    name: 'deliveries-dead-letter',
    purpose: 'webhook deliveries that failed every attempt',
  },
  warehouseLoad: {
    name: 'warehouse-load',
    purpose: 'starts a warehouse loader run (every minute by schedule, or on demand)',
  },
  metricsRecompute: {
    name: 'metrics-recompute',
    purpose: 'recomputes the daily metrics documents (nightly by schedule, or on demand)',
  },
  workspacePoll: {
    name: 'workspace-poll',
    purpose: 'a Google Workspace polling tick (every minute by schedule)',
  },
  workspaceFetch: {
    name: 'workspace-fetch',
    purpose: 'one message per due Workspace source and application: fetch its audit log',
  },
  workspaceFetchDeadLetter: {
    name: 'workspace-fetch-dead-letter',
    purpose: 'Workspace fetches that failed every attempt (the window is marked as a gap)',
  },
  quarantineReplay: {
    name: 'quarantine-replay',
    purpose: 'one step of a replay of quarantined events (started by an operator)',
  },
  regulations: {
    name: 'regulations',
    purpose:
      'one message per privacy regulation filed by an operator: its worker erases or suppresses',
  },
  regulationsDeadLetter: {
    name: 'regulations-dead-letter',
    purpose: 'regulations whose worker failed every attempt (marked FAILED)',
  },
} as const satisfies Record<string, TopicSpec>;

export function topicList(): TopicSpec[] {
  return Object.values(topics);
}
