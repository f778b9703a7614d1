/** The subscriptions on the topics, with their acknowledgement, retry and dead-letter rules. */
import { topics } from './topics.ts';
import type { RetryPolicy, SubscriptionSpec } from './types.ts';

/** How many times Pub/Sub pushes an event before it goes to the dead-letter topic. */
export const maxProcessingAttempts = 5;

/**
 * How many times Pub/Sub pushes a webhook delivery before it is exhausted. With the
 * cloud backoff (10 s doubling up to 600 s) the last attempt comes about 2 h 20 min after the first.
 */
export const maxWebhookDeliveryAttempts = 20;

/**
 * How many times Pub/Sub pushes a Workspace fetch before it is exhausted. The cursor is
 * durable, so an exhausted fetch loses nothing: the next tick resumes the same window.
 */
export const maxWorkspaceFetchAttempts = 5;

/** How many times Pub/Sub pushes a regulation to its worker before it is marked FAILED. */
export const maxRegulationAttempts = 10;

/**
 * Redelivery backoff by where the pipeline runs. The cloud waits longer between
 * attempts; the local stack and the tests keep the same shape but finish quickly.
 */
export const retryProfiles = {
  cloud: { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 },
  local: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 10 },
  test: { minimumBackoffSeconds: 0.1, maximumBackoffSeconds: 0.5 },
} as const satisfies Record<string, RetryPolicy>;

export type RetryProfile = keyof typeof retryProfiles;

const sevenDays = 7 * 24 * 3600;

/** The push subscription that feeds processEvent; its backlog is the pipeline's queue. */
export const processingSubscription = 'events-process';

/** The pull subscription the warehouse loader reads `events-processed` from. */
export const warehouseLoaderSubscription = 'events-processed-warehouse';

export function subscriptions(profile: RetryProfile = 'cloud'): SubscriptionSpec[] {
  const retry = retryProfiles[profile];
  return [
    {
      name: processingSubscription,
      topic: topics.events.name,
      pushTo: 'processEvent',
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: sevenDays,
      retry,
      deadLetter: {
        topic: topics.eventsDeadLetter.name,
        maxDeliveryAttempts: maxProcessingAttempts,
      },
    },
    {
      name: 'events-dead-letter-record',
      topic: topics.eventsDeadLetter.name,
      pushTo: 'recordDeadLetter',
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: sevenDays,
      retry,
    },
    {
      // Pulled in batches by the warehouse loader.
      name: warehouseLoaderSubscription,
      topic: topics.eventsProcessed.name,
      ackDeadlineSeconds: 600,
      messageRetentionSeconds: sevenDays,
    },
    {
      name: 'deliveries-deliver',
      topic: topics.deliveries.name,
      pushTo: 'deliverWebhook',
      // Longer than the receiver's timeout plus the delivery log writes.
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: sevenDays,
      retry,
      deadLetter: {
        topic: topics.deliveriesDeadLetter.name,
        maxDeliveryAttempts: maxWebhookDeliveryAttempts,
      },
    },
    {
      name: 'deliveries-dead-letter-record',
      topic: topics.deliveriesDeadLetter.name,
      pushTo: 'recordExhaustedDelivery',
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: sevenDays,
      retry,
    },
    {
      // A run trigger is worth nothing once the next one is due: keep it briefly.
      name: 'warehouse-load-run',
      topic: topics.warehouseLoad.name,
      pushTo: 'loadWarehouse',
      ackDeadlineSeconds: 600,
      messageRetentionSeconds: 600,
      retry,
    },
    {
      name: 'metrics-recompute-run',
      topic: topics.metricsRecompute.name,
      pushTo: 'recomputeMetrics',
      ackDeadlineSeconds: 600,
      messageRetentionSeconds: 24 * 3600,
      retry,
    },
    {
      // A tick is worth nothing once the next one is due.
      name: 'workspace-poll-run',
      topic: topics.workspacePoll.name,
      pushTo: 'pollWorkspace',
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: 600,
      retry,
    },
    {
      name: 'workspace-fetch-run',
      topic: topics.workspaceFetch.name,
      pushTo: 'fetchWorkspaceLogs',
      // Longer than the function's timeout: a fetch pages through a whole window.
      ackDeadlineSeconds: 300,
      messageRetentionSeconds: 24 * 3600,
      retry,
      deadLetter: {
        topic: topics.workspaceFetchDeadLetter.name,
        maxDeliveryAttempts: maxWorkspaceFetchAttempts,
      },
    },
    {
      name: 'workspace-fetch-dead-letter-record',
      topic: topics.workspaceFetchDeadLetter.name,
      pushTo: 'recordExhaustedFetch',
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: sevenDays,
      retry,
    },
    {
      // A step is redelivered until it saves its progress; the job's record says where it is.
      name: 'quarantine-replay-run',
      topic: topics.quarantineReplay.name,
      pushTo: 'replayQuarantine',
      ackDeadlineSeconds: 300,
      messageRetentionSeconds: sevenDays,
      retry,
    },
    {
      // Longer than the worker's timeout: one push erases every store.
      name: 'regulations-run',
      topic: topics.regulations.name,
      pushTo: 'runRegulation',
      ackDeadlineSeconds: 600,
      messageRetentionSeconds: sevenDays,
      retry,
      deadLetter: {
        topic: topics.regulationsDeadLetter.name,
        maxDeliveryAttempts: maxRegulationAttempts,
      },
    },
    {
      name: 'regulations-dead-letter-record',
      topic: topics.regulationsDeadLetter.name,
      pushTo: 'recordFailedRegulation',
      ackDeadlineSeconds: 60,
      messageRetentionSeconds: sevenDays,
      retry,
    },
  ];
}
