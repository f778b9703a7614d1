/** The shapes of the pipeline spec's entries. */
import type { SecretName, ServiceAccountName } from './identities.ts';

export type RetryPolicy = { minimumBackoffSeconds: number; maximumBackoffSeconds: number };

export type TopicSpec = { name: string; purpose: string };

export type SubscriptionSpec = {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  messageRetentionSeconds: number;
  /** Push subscriptions name the function they deliver to; pull ones name none. */
  pushTo?: FunctionName;
  retry?: RetryPolicy;
  deadLetter?: { topic: string; maxDeliveryAttempts: number };
};

export type FunctionName =
  | 'ingest'
  | 'api'
  | 'processEvent'
  | 'recordDeadLetter'
  | 'deliverWebhook'
  | 'recordExhaustedDelivery'
  | 'loadWarehouse'
  | 'recomputeMetrics'
  | 'pollWorkspace'
  | 'fetchWorkspaceLogs'
  | 'recordExhaustedFetch'
  | 'replayQuarantine'
  | 'runRegulation'
  | 'recordFailedRegulation';

export type FunctionSpec = {
  name: FunctionName;
  trigger: 'http' | 'pubsub-push';
  /** HTTP functions producers or operators call; push functions are reached only by Pub/Sub. */
  public: boolean;
  memory: string;
  timeoutSeconds: number;
  minInstances: number;
  maxInstances: number;
  concurrency: number;
  /** Environment variables filled from Secret Manager (see `secrets`). */
  secrets: SecretName[];
  /** The identity it runs as; its permissions follow from the lines below. */
  serviceAccount: ServiceAccountName;
  /** Topics it publishes to and subscriptions it pulls from. */
  publishes: string[];
  pulls: string[];
  /** What it does with the warehouse dataset. */
  warehouse?: 'read' | 'write';
};

/** A Cloud Scheduler job: publishes `data` to `topic` on the cron schedule (the local stack runs the same jobs). */
export type ScheduleSpec = {
  name: string;
  description: string;
  cron: string;
  timeZone: string;
  topic: string;
  data: Record<string, unknown>;
};

export type ColumnSpec = {
  name: string;
  type: 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP' | 'DATE' | 'JSON';
  mode: 'REQUIRED' | 'NULLABLE';
  description: string;
};

/** A warehouse table: BigQuery in the cloud, the same table in DuckDB locally. */
export type TableSpec = {
  dataset: string;
  name: string;
  description: string;
  columns: ColumnSpec[];
  partition: { field: string; type: 'DAY' };
  clustering: string[];
};
