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

export type FunctionName = 'ingest' | 'api' | 'processEvent' | 'recordDeadLetter';

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
} as const satisfies Record<string, TopicSpec>;

/** How many times Pub/Sub pushes an event before it goes to the dead-letter topic. */
export const maxProcessingAttempts = 5;

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

export function subscriptions(profile: RetryProfile = 'cloud'): SubscriptionSpec[] {
  const retry = retryProfiles[profile];
  return [
    {
      name: 'events-process',
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
      name: 'events-processed-warehouse',
      topic: topics.eventsProcessed.name,
      ackDeadlineSeconds: 600,
      messageRetentionSeconds: sevenDays,
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
    secrets: ['ADMIN_TOKEN'],
    serviceAccount: 'api',
    publishes: [topics.events.name],
    pulls: [],
  },
  {
    name: 'processEvent',
    trigger: 'pubsub-push',
    public: false,
    memory: '512Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 100,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [topics.eventsProcessed.name],
    pulls: [],
  },
  {
    name: 'recordDeadLetter',
    trigger: 'pubsub-push',
    public: false,
    memory: '256Mi',
    timeoutSeconds: 60,
    minInstances: 0,
    maxInstances: 10,
    concurrency: 80,
    secrets: [],
    serviceAccount: 'processor',
    publishes: [],
    pulls: [],
  },
];

/** A Cloud Scheduler job: publishes `data` to `topic` on the cron schedule (the local stack runs the same jobs). */
export type ScheduleSpec = {
  name: string;
  description: string;
  cron: string;
  timeZone: string;
  topic: string;
  data: Record<string, unknown>;
};

export const schedules: readonly ScheduleSpec[] = [];

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

export const warehouseTables: readonly TableSpec[] = [];

export function topicList(): TopicSpec[] {
  return Object.values(topics);
}

/** Firestore collections, with the field their TTL policy reads. */
export const collections = {
  events: { name: 'events', ttlField: 'expireAt' },
  apiKeys: { name: 'api_keys' },
  idempotencyKeys: { name: 'idempotency_keys', ttlField: 'expireAt' },
  /** Progress records of bulk replays. */
  replayJobs: { name: 'replay_jobs', ttlField: 'expireAt' },
  /** One record per CSV upload, with its counts and first errors. */
  uploadBatches: { name: 'upload_batches', ttlField: 'expireAt' },
} as const;
