/**
 * The pipeline, declared once. The local stack and the tests apply it to the
 * emulators; the deploy renders it for a real project. Names, retry numbers and
 * triggers are written here and nowhere else.
 */

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
  | 'recordExhaustedFetch';

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

/** Identities the functions run as, one per role, each with the least it needs. */
export const serviceAccounts = {
  ingest: { id: 'tributary-ingest', purpose: 'runs ingest: publishes events, reads API keys' },
  processor: {
    id: 'tributary-processor',
    purpose: 'runs the subscribers: records status, publishes downstream, loads the warehouse',
  },
  api: { id: 'tributary-api', purpose: "runs the operators' API" },
  pushInvoker: {
    id: 'tributary-push-invoker',
    purpose: 'signs the OIDC tokens of our push subscriptions; may only invoke the push functions',
  },
} as const;

export type ServiceAccountName = keyof typeof serviceAccounts;

/** Secrets in Secret Manager, by the environment variable they fill. */
export const secrets = {
  ADMIN_TOKEN: { secretId: 'tributary-admin-token', generate: 'token' },
  ENCRYPTION_KEY: { secretId: 'tributary-encryption-key', generate: 'aes-256-key' },
} as const satisfies Record<string, { secretId: string; generate: 'token' | 'aes-256-key' }>;

export type SecretName = keyof typeof secrets;

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
} as const satisfies Record<string, TopicSpec>;

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
  ];
}

export const functions: readonly FunctionSpec[] = [
  {
    name: 'ingest',
    trigger: 'http',
    public: true,
    memory: '512Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'ingest',
    publishes: [topics.events.name],
    pulls: [],
  },
  {
    name: 'api',
    trigger: 'http',
    public: true,
    memory: '512Mi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 10,
    concurrency: 40,
    secrets: ['ADMIN_TOKEN', 'ENCRYPTION_KEY'],
    serviceAccount: 'api',
    warehouse: 'read',
    // workspace-fetch: an operator's "poll this source now".
    publishes: [topics.events.name, topics.deliveries.name, topics.workspaceFetch.name],
    pulls: [],
  },
  {
    // CPU-bound: about 3 ms of CPU per push (measured by the bench) on its one vCPU, so
    // an instance drains at most ~340 pushes/s whatever its concurrency. At a cloud
    // service time of ~30 ms (one Firestore write beside one publish) that takes ~10
    // pushes in flight; 20 leaves room for slow round trips without queueing pushes
    // behind a saturated CPU, as 80 did. 100 instances at the autoscaler's 60% CPU
    // target: ~20,000 events/s.
    name: 'processEvent',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 20,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [topics.eventsProcessed.name, topics.deliveries.name],
    pulls: [],
  },
  {
    name: 'recordDeadLetter',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    // Rare and I/O-bound (one read, one write): a few instances with many pushes each.
    maxInstances: 10,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'processor',
    // A dead-letter copy of an unconfirmed claim publishes its fan-out again.
    publishes: [topics.eventsProcessed.name, topics.deliveries.name],
    pulls: [],
  },
  {
    name: 'deliverWebhook',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    // I/O-bound: a push waits for the receiver (up to its timeout) on little CPU.
    concurrency: 80,
    secrets: ['ENCRYPTION_KEY'],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
  {
    name: 'recordExhaustedDelivery',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    // Rare and I/O-bound, like recordDeadLetter.
    maxInstances: 10,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
  {
    // One run per instance; parallel runs (on demand, or a slow run overlapping the
    // next minute) pull the same subscription from separate instances.
    name: 'loadWarehouse',
    trigger: 'pubsub-push',
    public: false,
    memory: '1Gi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 4,
    concurrency: 1,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [warehouseLoaderSubscription],
    warehouse: 'write',
  },
  {
    name: 'recomputeMetrics',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 540,
    minInstances: 0,
    maxInstances: 1,
    concurrency: 1,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
    warehouse: 'read',
  },
  {
    name: 'pollWorkspace',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 1,
    concurrency: 1,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [topics.workspaceFetch.name],
    pulls: [],
  },
  {
    // Decrypts the source's credentials; publishes the activities as events, and a
    // continuation when a window is too long for one run.
    name: 'fetchWorkspaceLogs',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 300,
    minInstances: 0,
    maxInstances: 20,
    concurrency: 4,
    secrets: ['ENCRYPTION_KEY'],
    serviceAccount: 'processor',
    publishes: [topics.events.name, topics.workspaceFetch.name],
    pulls: [],
  },
  {
    name: 'recordExhaustedFetch',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 2,
    concurrency: 20,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
];

/**
 * Loader runs each schedule starts, in parallel on separate instances, all pulling
 * the same subscription. One run takes up to 20,000 events a minute; raise this (up
 * to loadWarehouse's maxInstances) for more.
 */
export const warehouseLoaderRuns = 1;

/** A Cloud Scheduler job: publishes `data` to `topic` on the cron schedule (the local stack runs the same jobs). */
export type ScheduleSpec = {
  name: string;
  description: string;
  cron: string;
  timeZone: string;
  topic: string;
  data: Record<string, unknown>;
};

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

/** The events table: one row per processed event (a redelivery may add a copy; queries count distinct event ids). */
export const eventsTable: TableSpec = {
  dataset: 'tributary',
  name: 'events',
  description: 'Processed events, one row per event (count DISTINCT event_id).',
  columns: [
    { name: 'event_id', type: 'STRING', mode: 'REQUIRED', description: 'Event id (UUID).' },
    {
      name: 'event_type',
      type: 'STRING',
      mode: 'REQUIRED',
      description: 'Dotted type, like page.viewed.',
    },
    {
      name: 'source',
      type: 'STRING',
      mode: 'REQUIRED',
      description: 'How the event arrived: api, csv, workspace.',
    },
    {
      name: 'producer',
      type: 'STRING',
      mode: 'REQUIRED',
      description: 'Who sent it: API key id or source id.',
    },
    {
      name: 'site_id',
      type: 'STRING',
      mode: 'NULLABLE',
      description: 'Site, for analytics events.',
    },
    {
      name: 'user_id',
      type: 'STRING',
      mode: 'NULLABLE',
      description: 'User, for analytics events.',
    },
    {
      name: 'path',
      type: 'STRING',
      mode: 'NULLABLE',
      description: 'Page path, for analytics events.',
    },
    {
      name: 'occurred_at',
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
      description: 'When the event happened (partitioning column).',
    },
    {
      name: 'received_at',
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
      description: 'When Tributary accepted it.',
    },
    {
      name: 'processed_at',
      type: 'TIMESTAMP',
      mode: 'REQUIRED',
      description: 'When it was processed.',
    },
    { name: 'payload', type: 'JSON', mode: 'NULLABLE', description: 'The event payload.' },
    { name: 'metadata', type: 'JSON', mode: 'NULLABLE', description: 'Producer metadata.' },
  ],
  partition: { field: 'occurred_at', type: 'DAY' },
  clustering: ['event_type', 'site_id'],
};

export const warehouseTables: readonly TableSpec[] = [eventsTable];

export function topicList(): TopicSpec[] {
  return Object.values(topics);
}

/** Firestore collections, with the field their TTL policy reads. */
export const collections = {
  events: { name: 'events', ttlField: 'expireAt' },
  apiKeys: { name: 'api_keys' },
  idempotencyKeys: { name: 'idempotency_keys', ttlField: 'expireAt' },
  webhookEndpoints: { name: 'webhook_endpoints' },
  /** `events/{eventId}/deliveries/{endpointId}`: one webhook delivery and its attempts. */
  deliveries: { name: 'deliveries', parent: 'events', ttlField: 'expireAt' },
  /** Processed events the warehouse refused for good, with the reason. */
  warehouseRejections: { name: 'warehouse_rejections', ttlField: 'expireAt' },
  /** One document per day: event counts by type, written by recomputeMetrics. */
  dailyMetrics: { name: 'daily_metrics' },
  /** One document per day and site: views, unique users, top paths. */
  dailySiteStats: { name: 'daily_site_stats' },
  /** Progress records of bulk replays. */
  replayJobs: { name: 'replay_jobs', ttlField: 'expireAt' },
  /** One record per CSV upload, with its counts and first errors. */
  uploadBatches: { name: 'upload_batches', ttlField: 'expireAt' },
  /** Google Workspace sources: sealed credentials, applications, status. */
  workspaceSources: { name: 'workspace_sources' },
  /** `workspace_sources/{sourceId}/cursors/{application}`: the window being fetched. */
  workspaceCursors: { name: 'cursors', parent: 'workspace_sources' },
  /** Activities already published, by source and unique qualifier (overlap dedupe). */
  workspaceSeen: { name: 'workspace_seen', ttlField: 'expireAt' },
} as const;
